// A client that speaks to the operator exactly as daprd 1.18.3 does (docs/contracts/operator.md §1.7): mTLS
// with a workload SVID, the operator authorized only by its SPIFFE ID (no hostname check), ALPN
// h2, and the same calls in the same order: GetConfiguration and ListResiliency on a first
// connection that is then closed; ListComponents, ListHTTPEndpoints, ListSubscriptionsV2 and
// ListWorkflowAccessPolicy on the runtime connection, then the seven streams together with
// ListMCPServers. Used by the integration tests and bench/operator in place of the real daprd,
// which cannot be built here.
import {
  credentials,
  makeGenericClientConstructor,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { checkOnlyUriSan } from '../../kit/security/subject-alt-names.js';
import {
  decodeEvent,
  decodeList,
  decodeObject,
  encodeRequest,
  METHOD_NAMES,
  METHODS,
  methodPath,
  type MethodName,
  type OperatorRequest,
  type ResourceEvent,
} from '../proto/operator.js';

export const STREAM_METHODS = METHOD_NAMES.filter((m) => METHODS[m].shape === 'event');

const CLIENT_DEFINITION = Object.fromEntries(
  METHOD_NAMES.map((method) => {
    const shape = METHODS[method].shape;
    return [
      method,
      {
        path: methodPath(method),
        requestStream: false,
        responseStream: shape === 'event',
        requestSerialize: (r: Partial<OperatorRequest>) => encodeRequest(method, r),
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: shape === 'list' ? decodeList : shape === 'object' ? decodeObject : decodeEvent,
        originalName: method,
      },
    ];
  }),
);

const OperatorClient = makeGenericClientConstructor(CLIENT_DEFINITION, 'Operator');

type Unary = (
  request: Partial<OperatorRequest>,
  options: { deadline: Date },
  callback: (err: ServiceError | null, response?: unknown) => void,
) => void;
type ServerStream = (request: Partial<OperatorRequest>) => ClientReadableStream<ResourceEvent>;

export interface DaprdIdentity {
  /** PEM private key of the workload SVID. */
  readonly keyPem: Buffer;
  /** PEM leaf + chain as sentry returned it. */
  readonly chainPem: Buffer;
  readonly trustAnchorsPem: Buffer;
}

export interface DaprdClientOptions extends DaprdIdentity {
  /** host:port of the operator (daprd: dapr-api.<ns>.svc:443). */
  readonly address: string;
  /** spiffe://<cp-td>/ns/<cp-ns>/dapr-operator */
  readonly operatorId: string;
}

/** daprd's per-attempt deadline for the startup calls (§1.7). */
export const UNARY_DEADLINE_MS = 5_000;

/** One gRPC connection to the operator. */
export class OperatorConnection {
  readonly #client: Client & Record<string, Unary | ServerStream>;
  readonly #streams = new Set<ClientReadableStream<ResourceEvent>>();

  constructor(options: DaprdClientOptions) {
    const creds = credentials.createSsl(options.trustAnchorsPem, options.keyPem, options.chainPem, {
      // go-spiffe: the exact SPIFFE ID, never the hostname.
      checkServerIdentity: (_host, cert) => checkOnlyUriSan(cert.raw, options.operatorId),
    });
    this.#client = new OperatorClient(options.address, creds, {
      'grpc.ssl_target_name_override': 'dapr-api',
      // A fresh connection per instance, as daprd's two connections are.
      'grpc.use_local_subchannel_pool': 1,
    }) as unknown as Client & Record<string, Unary | ServerStream>;
  }

  call(method: MethodName, request: Partial<OperatorRequest>): Promise<unknown> {
    const fn = this.#client[method] as Unary;
    return new Promise((resolve, reject) => {
      fn.call(
        this.#client,
        request,
        { deadline: new Date(Date.now() + UNARY_DEADLINE_MS) },
        (err, response) => (err ? reject(err) : resolve(response)),
      );
    });
  }

  list(method: MethodName, namespace: string): Promise<Buffer[]> {
    return this.call(method, { namespace }) as Promise<Buffer[]>;
  }

  get(method: 'GetConfiguration' | 'GetResiliency', namespace: string, name: string): Promise<Buffer> {
    return this.call(method, { namespace, name }) as Promise<Buffer>;
  }

  stream(method: MethodName, namespace: string): EventRecorder {
    const fn = this.#client[method] as ServerStream;
    const call = fn.call(this.#client, { namespace });
    this.#streams.add(call);
    return new EventRecorder(method, call);
  }

  close(): void {
    for (const s of this.#streams) s.cancel();
    this.#client.close();
  }
}

export interface DecodedEvent {
  readonly type: number;
  readonly object: Record<string, unknown> & { metadata: { name: string; namespace: string } };
  /** When it arrived (performance.now()). */
  readonly at: number;
}

/** Collects one stream's events and how it ended. */
export class EventRecorder {
  readonly method: MethodName;
  readonly events: DecodedEvent[] = [];
  /** The final status, once the stream ended. */
  status: { code: number; details: string } | undefined;
  readonly #waiters = new Set<() => void>();
  readonly #call: ClientReadableStream<ResourceEvent>;
  /** Resolves when the server accepted the stream (its headers arrived). */
  readonly established: Promise<void>;

  constructor(method: MethodName, call: ClientReadableStream<ResourceEvent>) {
    this.method = method;
    this.#call = call;
    this.established = new Promise((resolve, reject) => {
      call.once('metadata', () => resolve());
      call.once('status', (s: { code: number; details: string }) =>
        reject(new Error(`${method} ended before it was established: ${s.code} ${s.details}`)),
      );
    });
    this.established.catch(() => undefined);
    call.on('data', (event: ResourceEvent) => {
      this.events.push({
        type: event.type,
        object: JSON.parse(event.object.toString('utf8')) as DecodedEvent['object'],
        at: performance.now(),
      });
      this.#notify();
    });
    call.on('status', (s: { code: number; details: string }) => {
      this.status = { code: s.code, details: s.details };
      this.#notify();
    });
    call.on('error', () => undefined); // reported through 'status'
  }

  #notify(): void {
    for (const w of this.#waiters) w();
  }

  /** Resolves once `predicate` holds (checked on every event and on the end). */
  until(predicate: (r: EventRecorder) => boolean, timeoutMs = 10_000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this)) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `${this.method}: condition not met within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => [e.type, e.object.metadata.name]))}, status ${JSON.stringify(this.status)}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  cancel(): void {
    this.#call.cancel();
  }
}

export interface DaprdStartup {
  readonly configuration?: Buffer;
  readonly resiliencies: Buffer[];
  readonly components: Buffer[];
  readonly httpEndpoints: Buffer[];
  readonly subscriptions: Buffer[];
  readonly workflowAccessPolicies: Buffer[];
  readonly mcpServers: Buffer[];
  /** The runtime connection, with the seven streams open on it. */
  readonly runtime: OperatorConnection;
  readonly streams: Readonly<Record<string, EventRecorder>>;
}

/**
 * daprd's startup against the operator, in its order; rejects as daprd would fail to start
 * (the non-fatal calls' errors are swallowed as daprd logs and continues).
 */
export async function daprdStartup(
  options: DaprdClientOptions & { readonly namespace: string; readonly config?: string },
): Promise<DaprdStartup> {
  const { namespace } = options;
  const first = new OperatorConnection(options);
  let configuration: Buffer | undefined;
  let resiliencies: Buffer[];
  try {
    if (options.config !== undefined) {
      configuration = await first.get('GetConfiguration', namespace, options.config);
      if (configuration.length === 0) throw new Error(`configuration ${options.config} not found`);
    }
    resiliencies = await first.list('ListResiliency', namespace).catch(() => []);
  } finally {
    first.close();
  }
  const runtime = new OperatorConnection(options);
  try {
    const components = await runtime.list('ListComponents', namespace);
    const httpEndpoints = await runtime.list('ListHTTPEndpoints', namespace).catch(() => []);
    const subscriptions = await runtime.list('ListSubscriptionsV2', namespace);
    const workflowAccessPolicies = await runtime.list('ListWorkflowAccessPolicy', namespace);
    const streams: Record<string, EventRecorder> = {};
    for (const method of STREAM_METHODS) streams[method] = runtime.stream(method, namespace);
    const mcpServers = await runtime.list('ListMCPServers', namespace);
    return {
      configuration,
      resiliencies,
      components,
      httpEndpoints,
      subscriptions,
      workflowAccessPolicies,
      mcpServers,
      runtime,
      streams,
    };
  } catch (err) {
    runtime.close();
    throw err;
  }
}
