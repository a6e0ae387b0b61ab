// Test helpers: a grpc-js client speaking daprd 1.18's side of ReportDaprStatus (report on
// connect, ack every order as §1.6 says), (mTLS material comes from kit/testing/test-pki.ts).
import {
  Client,
  credentials,
  type ChannelCredentials,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { emptyHost, HostOperation, type Host, type PlacementOrder } from '../../proto/placement.js';
import { REPORT_DAPR_STATUS_CLIENT } from '../server.js';

export interface TestDaprdOptions {
  readonly address: string;
  readonly name: string;
  readonly id: string;
  readonly namespace?: string;
  readonly entities?: readonly string[];
  /** false: receive but never ack. */
  readonly acks?: boolean;
  readonly credentials?: ChannelCredentials;
  /** Sent instead of the daprd REPORT as the first message. */
  readonly firstMessage?: Host;
}

export class TestDaprd {
  readonly orders: PlacementOrder[] = [];
  readonly opts: TestDaprdOptions;
  readonly #client: Client;
  readonly #call: ClientDuplexStream<Host, PlacementOrder>;
  #waiters: (() => void)[] = [];
  #version = 0;
  error: ServiceError | undefined;
  ended = false;

  constructor(opts: TestDaprdOptions) {
    this.opts = opts;
    this.#client = new Client(opts.address, opts.credentials ?? credentials.createInsecure(), {
      'grpc.ssl_target_name_override': 'dapr-placement',
    });
    const c = REPORT_DAPR_STATUS_CLIENT;
    this.#call = this.#client.makeBidiStreamRequest(c.path, c.serialize, c.deserialize);
    this.#call.on('data', (order: PlacementOrder) => this.#receive(order));
    this.#call.on('error', (err: ServiceError) => {
      this.error = err;
      this.#wake();
    });
    this.#call.on('end', () => {
      this.ended = true;
      this.#wake();
    });
    this.#call.write(opts.firstMessage ?? this.report(opts.entities ?? []));
  }

  report(entities: readonly string[]): Host {
    return {
      ...emptyHost(),
      name: this.opts.name,
      id: this.opts.id,
      apiLevel: 20,
      namespace: this.opts.namespace ?? 'default',
      entities,
      operation: HostOperation.REPORT,
    };
  }

  send(host: Host): void {
    this.#call.write(host);
  }

  ack(operation: number, version: number): void {
    this.send({
      ...emptyHost(),
      id: this.opts.id,
      namespace: this.opts.namespace ?? 'default',
      operation,
      version,
    });
  }

  /** "op:version" of every order so far. */
  get ops(): string[] {
    return this.orders.map((o) => `${o.operation}:${o.version}`);
  }

  get lastTable(): PlacementOrder['tables'] {
    return this.orders.filter((o) => o.operation === 'update').at(-1)?.tables;
  }

  /** Resolves once `check` holds (re-checked on every order and on the stream's end). */
  async until(check: (d: TestDaprd) => boolean, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out; orders ${JSON.stringify(this.ops)}, error ${this.error?.message}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async closed(): Promise<ServiceError | undefined> {
    await this.until((d) => d.error !== undefined || d.ended);
    return this.error;
  }

  /** Stops reading orders (they pile up in flow control and the server's buffers). */
  pauseReading(): void {
    this.#call.pause();
  }

  close(): void {
    this.#call.end();
    this.#client.close();
  }

  #receive(order: PlacementOrder): void {
    this.orders.push(order);
    if (order.operation === 'lock') this.#version = order.version;
    if (this.opts.acks !== false) {
      const op = { lock: HostOperation.LOCK, update: HostOperation.UPDATE, unlock: HostOperation.UNLOCK }[
        order.operation as 'lock' | 'update' | 'unlock'
      ];
      this.ack(op, order.operation === 'update' ? this.#version : order.version);
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
