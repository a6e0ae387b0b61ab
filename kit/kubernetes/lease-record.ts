// The leader-election record kept in a coordination.k8s.io/v1 Lease, and the pure rules over it
// that client-go's leaderelection package follows: who may take a lease, and what a holder writes
// when it acquires, renews or releases it. Expiry is judged on the candidate's own monotonic clock
// from when it last saw the record change, never from the timestamps inside the record, so clock
// skew between replicas cannot hand the lease over early.

export const LEASE_API_PATH = '/apis/coordination.k8s.io/v1';

export function leasesPath(namespace: string): string {
  return `${LEASE_API_PATH}/namespaces/${encodeURIComponent(namespace)}/leases`;
}

export function leasePath(namespace: string, name: string): string {
  return `${leasesPath(namespace)}/${encodeURIComponent(name)}`;
}

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** metav1.MicroTime: RFC 3339 with six fractional digits. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  readonly [other: string]: unknown;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    readonly [other: string]: unknown;
  };
  spec?: LeaseSpec;
}

/** metav1.MicroTime's wire format (Go's RFC3339Micro): always six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** What a holder compares between reads: a changed holder or renewTime restarts the expiry clock. */
export function recordKey(spec: LeaseSpec | undefined): string {
  return `${spec?.holderIdentity ?? ''}\u0000${spec?.renewTime ?? ''}\u0000${spec?.leaseTransitions ?? 0}`;
}

export interface Observation {
  readonly key: string;
  /** Monotonic time (ms) at which this candidate first saw `key`. */
  readonly at: number;
}

/**
 * Whether another identity holds the lease and may still be leading: held by someone else, and
 * less than its duration has passed since we first saw its latest renewal. An empty holder
 * (released on graceful stop) is free at once.
 */
export interface Candidate {
  readonly identity: string;
  /** When this candidate first saw the current record. */
  readonly observed: Observation;
  /** Monotonic now (ms). */
  readonly now: number;
  /** Used when the record names no duration. */
  readonly leaseDurationMs: number;
}

/** Monotonic time at which the lease, as last seen by this candidate, runs out. */
export function expiresAt(spec: LeaseSpec | undefined, candidate: Candidate): number {
  const durationMs = (spec?.leaseDurationSeconds ?? candidate.leaseDurationMs / 1000) * 1000;
  return candidate.observed.at + durationMs;
}

export function heldByAnother(spec: LeaseSpec | undefined, candidate: Candidate): boolean {
  const holder = spec?.holderIdentity ?? '';
  if (holder === '' || holder === candidate.identity) return false;
  return candidate.now < expiresAt(spec, candidate);
}

/** The spec this identity writes to take or keep the lease. */
export function claimedSpec(
  previous: LeaseSpec | undefined,
  identity: string,
  leaseDurationMs: number,
  wallNow: Date,
): LeaseSpec {
  const now = microTime(wallNow);
  const renewing = previous?.holderIdentity === identity;
  const transitions = previous?.leaseTransitions ?? 0;
  return {
    ...previous,
    holderIdentity: identity,
    leaseDurationSeconds: Math.max(1, Math.ceil(leaseDurationMs / 1000)),
    acquireTime: renewing && previous.acquireTime !== undefined ? previous.acquireTime : now,
    renewTime: now,
    // A first holder starts at 0; every change of holder counts one transition (as client-go).
    leaseTransitions: previous === undefined ? 0 : renewing ? transitions : transitions + 1,
  };
}

/** The spec a holder writes on graceful stop, so that a successor may take it at once. */
export function releasedSpec(previous: LeaseSpec, wallNow: Date): LeaseSpec {
  const now = microTime(wallNow);
  return {
    ...previous,
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: now,
    renewTime: now,
  };
}
