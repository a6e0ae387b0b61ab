// The hosts of one namespace's table, with a running upper bound of the table's encoded size.
// daprd keeps gRPC's default 4 MiB receive limit, so an UPDATE at or above it reaches no sidecar
// of the namespace (docs/contracts/placement.md §1.9; docs/placement.md, Limits): the loop refuses
// a report that would take the table past MAX_TABLE_BYTES instead of breaking everyone's table.
import type { StreamId } from './events.js';
import type { Host } from '../proto/placement.js';

/** An UPDATE's table must stay under daprd's 4 MiB; 64 KiB is left for the order around it. */
export const MAX_TABLE_BYTES = 4 * 1024 * 1024 - 64 * 1024;

/**
 * Bytes a host adds to the encoded table, at most: for each of its actor types, the type key,
 * the load_map key (its name) and the load_map value (name, id, port), each with tags and
 * lengths (64 covers them). Counting the type key per host over-counts shared types: a bound.
 */
export function tableBytesOf(host: Pick<Host, 'name' | 'id' | 'entities'>): number {
  const perType = 2 * Buffer.byteLength(host.name) + Buffer.byteLength(host.id) + 64;
  let bytes = 0;
  for (const type of host.entities) bytes += Buffer.byteLength(type) + perType;
  return bytes;
}

export class HostStore extends Map<StreamId, Host> {
  #bytes = 0;

  /** The bound on the encoded table of the hosts stored now. */
  get tableBytes(): number {
    return this.#bytes;
  }

  /** The bound if `host` replaced what `stream` has stored now. */
  tableBytesWith(stream: StreamId, host: Host): number {
    const old = this.get(stream);
    return this.#bytes - (old === undefined ? 0 : tableBytesOf(old)) + tableBytesOf(host);
  }

  override set(stream: StreamId, host: Host): this {
    const old = this.get(stream);
    if (old !== undefined) this.#bytes -= tableBytesOf(old);
    this.#bytes += tableBytesOf(host);
    return super.set(stream, host);
  }

  override delete(stream: StreamId): boolean {
    const old = this.get(stream);
    if (old !== undefined) this.#bytes -= tableBytesOf(old);
    return super.delete(stream);
  }

  override clear(): void {
    this.#bytes = 0;
    super.clear();
  }
}
