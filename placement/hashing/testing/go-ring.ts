// The consistent hash ring exactly as daprd 1.18 builds it from a placement table
// (docs/contracts/placement.md §2.1). The placement server never needs it to route; it is here so the debug
// endpoint and the tests can answer "which host owns actor X" the way daprd will.
//
// hash(s): unkeyed BLAKE2b-512 of the UTF-8 bytes of s, first 8 bytes read little-endian as an
// unsigned 64-bit integer (a bigint: the values exceed 2^53). Each host contributes RF virtual
// nodes hash(host + decimal(i)), with no separator; lookup is a lower-bound search on hash(id)
// over the ascending vnodes, wrapping to the first one. There is no bounded-load logic.
import { createHash } from 'node:crypto';
import { DEFAULT_REPLICATION_FACTOR } from '../../options.js';

/** daprd's 64-bit key of a string: BLAKE2b-512, first 8 bytes, little-endian. */
export function hashKey(key: string): bigint {
  return createHash('blake2b512').update(key, 'utf8').digest().readBigUInt64LE(0);
}

/** The vnode hashes of one host, in index order (i = 0 … rf-1). */
export function virtualNodes(host: string, replicationFactor: number): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i < replicationFactor; i++) out.push(hashKey(host + String(i)));
  return out;
}

/** What a lookup yields: the owner's load_map key and, when built from a table, its value. */
export interface RingOwner<H> {
  /** The load_map key (the host name daprd dials and vnodes derive from). */
  readonly host: string;
  /** The load_map value for that key (e.g. a placement `Host`), or the key itself. */
  readonly value: H;
}

export class RingError extends Error {
  override readonly name = 'RingError';
}

/**
 * One actor type's ring. Immutable: `withHost`/`withoutHost` return a new ring, the way daprd
 * rebuilds its rings from every table it receives.
 */
export class HashRing<H = string> {
  readonly replicationFactor: number;
  /** Ascending, duplicates kept (daprd keeps both copies of a colliding vnode). */
  readonly #sorted: BigUint64Array;
  readonly #owner: ReadonlyMap<bigint, string>;
  readonly #loadMap: ReadonlyMap<string, H>;

  private constructor(loadMap: ReadonlyMap<string, H>, replicationFactor: number) {
    if (!Number.isInteger(replicationFactor) || replicationFactor < 0)
      throw new RingError(`replication factor must be a non-negative integer, got ${replicationFactor}`);
    this.replicationFactor = replicationFactor;
    this.#loadMap = loadMap;
    const owner = new Map<bigint, string>();
    const sorted = new BigUint64Array(loadMap.size * replicationFactor);
    let n = 0;
    for (const host of loadMap.keys()) {
      for (const vnode of virtualNodes(host, replicationFactor)) {
        owner.set(vnode, host); // a collision's owner is arbitrary in Go too (§2.1 item 4)
        sorted[n++] = vnode;
      }
    }
    sorted.sort(); // BigUint64Array sorts numerically, as unsigned
    this.#sorted = sorted;
    this.#owner = owner;
  }

  /** A ring from a load_map (key = host name, value kept for lookups). */
  static fromLoadMap<H>(loadMap: ReadonlyMap<string, H>, replicationFactor: number): HashRing<H> {
    return new HashRing(new Map(loadMap), replicationFactor);
  }

  /** A ring from bare host names (value = the name). */
  static fromHosts(hosts: Iterable<string>, replicationFactor: number): HashRing<string> {
    return new HashRing(new Map([...hosts].map((h) => [h, h] as const)), replicationFactor);
  }

  /** The hosts (load_map keys) in insertion order. */
  get hosts(): string[] {
    return [...this.#loadMap.keys()];
  }

  /** The sorted vnode hashes (a copy). */
  get vnodes(): bigint[] {
    return [...this.#sorted];
  }

  /** The host owning a vnode hash, if it is one. */
  ownerOfVnode(vnode: bigint): string | undefined {
    return this.#owner.get(vnode);
  }

  withHost(host: string, value: H): HashRing<H> {
    return new HashRing(new Map(this.#loadMap).set(host, value), this.replicationFactor);
  }

  withoutHost(host: string): HashRing<H> {
    const next = new Map(this.#loadMap);
    next.delete(host);
    return new HashRing(next, this.replicationFactor);
  }

  /** Index of the first vnode >= key, or 0 when key is above them all (wrap-around). */
  #successor(key: bigint): number {
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#sorted[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.#sorted.length ? 0 : lo;
  }

  /** The owner of an actor id (the id alone is hashed, not "type/id"). */
  lookup(actorId: string): RingOwner<H> {
    if (this.#sorted.length === 0) throw new RingError('no hosts added');
    const host = this.#owner.get(this.#sorted[this.#successor(hashKey(actorId))]!)!;
    return { host, value: this.#loadMap.get(host)! };
  }
}

/** Rings for every actor type of a table: entries[type].load_map, one ring each. */
export class ActorRings<H> {
  readonly #rings: ReadonlyMap<string, HashRing<H>>;

  constructor(
    entries: ReadonlyMap<string, ReadonlyMap<string, H>>,
    replicationFactor: number = DEFAULT_REPLICATION_FACTOR,
  ) {
    const rings = new Map<string, HashRing<H>>();
    for (const [type, loadMap] of entries) rings.set(type, HashRing.fromLoadMap(loadMap, replicationFactor));
    this.#rings = rings;
  }

  get actorTypes(): string[] {
    return [...this.#rings.keys()];
  }

  ring(actorType: string): HashRing<H> | undefined {
    return this.#rings.get(actorType);
  }

  /** daprd's lookup: a missing type is "did not find address for actor 'type/id'". */
  lookup(actorType: string, actorId: string): RingOwner<H> {
    const ring = this.#rings.get(actorType);
    if (ring === undefined) throw new RingError(`did not find address for actor '${actorType}/${actorId}'`);
    return ring.lookup(actorId);
  }
}
