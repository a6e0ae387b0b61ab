// A simulated daprd for the benchmarks (bench/placement, bench/memory): a grpc-js client speaking
// daprd 1.18's side of ReportDaprStatus: it reports once, then acknowledges every order.
import type { Client } from '@grpc/grpc-js';
import {
  emptyHost,
  encodeHost,
  HostOperation,
  REPORT_DAPR_STATUS_PATH,
  type Host,
} from '../../placement/proto/placement.js';
import { decodeString, readFields } from '../../kit/proto/wire.js';

/** operation and version of a PlacementOrder; the tables (field 1) are skipped, not decoded. */
interface OrderHeader {
  operation: string;
  version: number;
}

function decodeHeader(buf: Buffer): OrderHeader {
  const h = { operation: '', version: 0 };
  for (const f of readFields(buf)) {
    if (f.number === 2) h.operation = decodeString(f);
    else if (f.number === 3) h.version = f.uint;
  }
  return h;
}

/** One simulated daprd: reports once, then acks every order as daprd does. */
export class Daprd {
  unlocked = -1;
  /** The server ended the stream (e.g. kicked at the round timeout because we acked too late). */
  failed = false;
  #version = 0;
  readonly #call;

  constructor(
    client: Client,
    readonly name: string,
    entities: string[],
  ) {
    this.#call = client.makeBidiStreamRequest(REPORT_DAPR_STATUS_PATH, encodeHost, decodeHeader);
    this.#call.on('data', (o: OrderHeader) => this.#order(o));
    this.#call.on('error', () => (this.failed = true));
    this.#call.write(this.#msg({ name, entities, apiLevel: 20, operation: HostOperation.REPORT }));
  }

  close(): void {
    this.#call.end();
  }

  #msg(fields: Partial<Host>): Host {
    return { ...emptyHost(), id: `app-${this.name}`, namespace: 'default', ...fields };
  }

  #order(o: OrderHeader): void {
    if (o.operation === 'lock') this.#version = o.version;
    if (o.operation === 'unlock') this.unlocked = o.version;
    const op = { lock: HostOperation.LOCK, update: HostOperation.UPDATE, unlock: HostOperation.UNLOCK }[
      o.operation as 'lock'
    ];
    this.#call.write(
      this.#msg({ operation: op, version: o.operation === 'update' ? this.#version : o.version }),
    );
  }
}
