// Leader election over a coordination.k8s.io/v1 Lease with client-go's semantics: optimistic
// concurrency on resourceVersion, take over only a lease not renewed for its whole duration (as
// seen on this replica's clock), renew every retry period, and stop leading once renewDeadline has
// passed since the last renewal was sent — strictly before the lease can pass to anyone else — so
// a leader that cannot reach the apiserver fences itself in time. stop() ends leadership first
// (the callbacks run, the signal aborts) and then releases the lease by clearing holderIdentity,
// so a successor takes it at its next retry instead of waiting out the lease.
//
// Unlike client-go's Run, an elector that loses leadership becomes a candidate again until stop():
// a caller that wants to exit on loss (as upstream placement does) calls stop() or exits from
// onStoppedLeading.
import type { Logger } from '../logger.js';
import { isConflict, isNotFound, type KubeApi, type WatchEvent } from './client.js';
import {
  claimedSpec,
  expiresAt,
  heldByAnother,
  leasePath,
  leasesPath,
  recordKey,
  releasedSpec,
  type Lease,
  type Observation,
} from './lease-record.js';
import { abortableDelay, type Delay } from './list-watch.js';

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** client-go's JitterFactor for candidates' retries, so replicas do not poll in lockstep. */
const ACQUIRE_JITTER = 1.2;
/** A candidate's watch on the Lease is renewed this often (the server ends it). */
const WATCH_TIMEOUT_S = 300;

export interface LeaderElectionOptions {
  api: KubeApi;
  namespace: string;
  name: string;
  identity: string;
  /** How long a lease is honoured after its last renewal. Default 15000. */
  leaseDurationMs?: number;
  /** Stop leading if not renewed within this, i.e. before the lease can pass to another. Default 10000. */
  renewDeadlineMs?: number;
  /** Between renewals, and (with jitter) between attempts to acquire. Default 2000. */
  retryPeriodMs?: number;
  logger: Logger;
  /** `signal` aborts when leadership is lost or stop() is called. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  /** Every change of the observed holder, this identity included. */
  onNewLeader?: (identity: string) => void;
  /** Monotonic milliseconds; injected by tests. */
  now?: () => number;
  /** Wall clock for the timestamps written into the lease. */
  wallClock?: () => Date;
  delay?: Delay;
  random?: () => number;
}

type Attempt = 'acquired' | 'held' | 'failed';

/** Refuses timings that could let two replicas lead at once. */
function checkTimings(leaseMs: number, renewMs: number, retryMs: number): void {
  if (!(retryMs > 0)) throw new Error(`leader election: retry period must be positive, got ${retryMs} ms`);
  if (!(renewMs > retryMs)) {
    throw new Error(
      `leader election: renew deadline (${renewMs} ms) must exceed the retry period (${retryMs} ms)`,
    );
  }
  if (!(leaseMs > renewMs)) {
    throw new Error(
      `leader election: lease duration (${leaseMs} ms) must exceed the renew deadline (${renewMs} ms)`,
    );
  }
}

export class LeaderElector {
  readonly #o: LeaderElectionOptions;
  readonly #leaseMs: number;
  readonly #renewMs: number;
  readonly #retryMs: number;
  readonly #now: () => number;
  readonly #wall: () => Date;
  readonly #delay: Delay;
  readonly #random: () => number;
  readonly #stopping = new AbortController();
  #running: Promise<void> | undefined;
  #observed: Observation | undefined;
  #leader: string | undefined;
  /** Aborts when the current term ends; undefined while not leading. */
  #term: AbortController | undefined;
  #lastRenewSentAt = 0;
  /** When the lease another holds runs out, as of our last read. */
  #heldUntil: number | undefined;
  /** The Lease's resourceVersion last read, where a candidate's watch starts. */
  #seenVersion: string | undefined;
  /** Set by the watch when the lease is released; cuts a candidate's wait short. */
  #released = false;
  #wake: AbortController | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#o = options;
    this.#leaseMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.#renewMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.#retryMs = options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    checkTimings(this.#leaseMs, this.#renewMs, this.#retryMs);
    this.#now = options.now ?? (() => performance.now());
    this.#wall = options.wallClock ?? (() => new Date());
    this.#delay = options.delay ?? abortableDelay;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Leading, and still within the renew deadline. The deadline is checked here too, not only by
   * the fence timer, so a late timer (a blocked event loop) cannot stretch a term.
   */
  get isLeader(): boolean {
    return (
      this.#term !== undefined &&
      !this.#term.signal.aborted &&
      this.#now() < this.#lastRenewSentAt + this.#renewMs
    );
  }

  /** The holder last observed (this identity while leading); undefined if none yet. */
  get leader(): string | undefined {
    return this.#leader;
  }

  get identity(): string {
    return this.#o.identity;
  }

  start(): void {
    if (this.#running !== undefined || this.#stopping.signal.aborted) return;
    this.#running = this.#run().catch((err: unknown) => {
      this.#o.logger.error({ err: String(err) }, 'leader election stopped on an unexpected error');
    });
  }

  /** Ends leadership (callbacks first), then releases the lease; resolves when all is done. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    const stop = this.#stopping.signal;
    while (!stop.aborted) {
      if (!(await this.#acquire())) break;
      await this.#lead();
    }
  }

  /** Retries until this identity holds the lease (true) or stop() is called (false). */
  async #acquire(): Promise<boolean> {
    const stop = this.#stopping.signal;
    this.#o.logger.info({ lease: this.#describe() }, 'attempting to acquire the leader lease');
    const watching = new AbortController();
    const watch = this.#watchForRelease(AbortSignal.any([stop, watching.signal]));
    try {
      while (!stop.aborted) {
        this.#released = false;
        const attempt = await this.#tryAcquireOrRenew();
        if (attempt === 'acquired' && !stop.aborted) return true;
        // A release seen while the attempt ran is not lost: try again at once.
        if (this.#released) continue;
        this.#wake = new AbortController();
        await this.#delay(this.#nextAttemptInMs(attempt), AbortSignal.any([stop, this.#wake.signal]));
      }
      return false;
    } finally {
      watching.abort();
      await watch;
    }
  }

  /**
   * Beyond client-go: a candidate watches the Lease and tries at once when its holder releases it
   * (graceful stop) or it is deleted, instead of at its next retry; and it sees each renewal when
   * it happens. Polling stays the fallback: a watch that fails (no RBAC `watch`, a dropped
   * connection) only costs that speed-up.
   */
  async #watchForRelease(signal: AbortSignal): Promise<void> {
    const onEvent = (event: WatchEvent): void => {
      const lease = event.object as Lease | undefined;
      if (event.type === 'BOOKMARK' || lease?.metadata === undefined) return;
      // A renewal seen now, not at the next poll, starts the expiry clock earlier: a dead
      // leader's lease then runs out sooner on this replica, and still never before the leader
      // fenced (the renewal was sent before we saw it).
      if (event.type !== 'DELETED') this.#observe(lease);
      this.#seenVersion = lease.metadata.resourceVersion ?? this.#seenVersion;
      if (event.type === 'DELETED' || (lease.spec?.holderIdentity ?? '') === '') {
        this.#released = true;
        this.#wake?.abort();
      }
    };
    while (!signal.aborted) {
      const startedAt = this.#now();
      try {
        await this.#o.api.watch(
          leasesPath(this.#o.namespace),
          {
            fieldSelector: `metadata.name=${this.#o.name}`,
            timeoutSeconds: WATCH_TIMEOUT_S,
            resourceVersion: this.#seenVersion,
          },
          onEvent,
          signal,
        );
      } catch (err) {
        // 410 Gone or anything else: start over from the current state after a pause.
        this.#seenVersion = undefined;
        this.#o.logger.debug({ lease: this.#describe(), err: String(err) }, 'lease watch failed');
      }
      // Never spin: a watch that ends at once waits a retry period before the next.
      if (this.#now() - startedAt < this.#retryMs) await this.#delay(this.#retryMs, signal);
    }
  }

  /**
   * client-go's jittered retry period; but a candidate that saw a lease held by another wakes no
   * later than when that lease runs out, so a dead leader is replaced at expiry, not up to a
   * retry period after it. The small jitter spreads the candidates' simultaneous attempts.
   */
  #nextAttemptInMs(attempt: Attempt): number {
    const retry = this.#retryMs * (1 + this.#random() * ACQUIRE_JITTER);
    if (attempt !== 'held' || this.#heldUntil === undefined) return retry;
    const untilExpiry = this.#heldUntil - this.#now() + this.#random() * this.#retryMs * 0.1;
    return Math.max(0, Math.min(retry, untilExpiry));
  }

  /** Holds the lease until renewals stop succeeding in time, or stop(); then ends the term. */
  async #lead(): Promise<void> {
    const term = new AbortController();
    this.#term = term;
    let fence = this.#armFence(term);
    this.#o.logger.info({ lease: this.#describe(), identity: this.#o.identity }, 'became leader');
    this.#startCallback(term.signal);
    const stop = this.#stopping.signal;
    while (!term.signal.aborted && !stop.aborted) {
      await this.#delay(this.#retryMs, AbortSignal.any([term.signal, stop]));
      if (term.signal.aborted || stop.aborted) break;
      const attempt = await this.#tryAcquireOrRenew();
      if (term.signal.aborted) break;
      if (attempt === 'acquired') {
        clearTimeout(fence);
        fence = this.#armFence(term);
      } else if (attempt === 'held') {
        this.#endTerm(term, 'the lease is held by another identity');
      }
    }
    clearTimeout(fence);
    this.#endTerm(term, stop.aborted ? 'stopping' : 'renewal failed');
    this.#term = undefined;
    await this.#runStopped();
    if (stop.aborted) await this.#release();
  }

  /** Fences on a timer, not on a failed request: a hung request must not delay the fence. */
  #armFence(term: AbortController): NodeJS.Timeout {
    const remaining = this.#lastRenewSentAt + this.#renewMs - this.#now();
    return setTimeout(
      () => this.#endTerm(term, `not renewed within the renew deadline (${this.#renewMs} ms)`),
      Math.max(0, remaining),
    );
  }

  #endTerm(term: AbortController, reason: string): void {
    if (term.signal.aborted) return;
    this.#o.logger.info({ lease: this.#describe(), reason }, 'leadership ended');
    term.abort(new Error(`leadership ended: ${reason}`));
  }

  #startCallback(signal: AbortSignal): void {
    try {
      Promise.resolve(this.#o.onStartedLeading(signal)).catch((err: unknown) => {
        this.#o.logger.error({ err: String(err) }, 'onStartedLeading failed');
      });
    } catch (err) {
      this.#o.logger.error({ err: String(err) }, 'onStartedLeading failed');
    }
  }

  async #runStopped(): Promise<void> {
    try {
      await this.#o.onStoppedLeading();
    } catch (err) {
      this.#o.logger.error({ err: String(err) }, 'onStoppedLeading failed');
    }
  }

  /** One read-and-write round; never throws. */
  async #tryAcquireOrRenew(): Promise<Attempt> {
    const sentAt = this.#now();
    try {
      const current = await this.#read();
      if (current === undefined) {
        await this.#create();
      } else {
        this.#observe(current);
        const candidate = {
          identity: this.#o.identity,
          observed: this.#observed!,
          now: this.#now(),
          leaseDurationMs: this.#leaseMs,
        };
        if (heldByAnother(current.spec, candidate)) {
          this.#heldUntil = expiresAt(current.spec, candidate);
          return 'held';
        }
        await this.#update(current);
      }
      this.#lastRenewSentAt = sentAt;
      this.#setLeader(this.#o.identity);
      return 'acquired';
    } catch (err) {
      if (isConflict(err)) {
        this.#o.logger.debug({ lease: this.#describe() }, 'lost a race for the lease (conflict)');
      } else {
        this.#o.logger.warn({ lease: this.#describe(), err: String(err) }, 'leader lease request failed');
      }
      return 'failed';
    }
  }

  async #read(): Promise<Lease | undefined> {
    try {
      return await this.#o.api.request<Lease>(leasePath(this.#o.namespace, this.#o.name), {
        timeoutMs: this.#renewMs,
        signal: this.#stopping.signal,
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async #create(): Promise<void> {
    const body: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#o.name, namespace: this.#o.namespace },
      spec: claimedSpec(undefined, this.#o.identity, this.#leaseMs, this.#wall()),
    };
    this.#remember(
      await this.#o.api.request<Lease>(leasesPath(this.#o.namespace), {
        method: 'POST',
        body,
        timeoutMs: this.#renewMs,
        signal: this.#stopping.signal,
      }),
    );
  }

  async #update(current: Lease): Promise<void> {
    const body: Lease = {
      ...current,
      spec: claimedSpec(current.spec, this.#o.identity, this.#leaseMs, this.#wall()),
    };
    this.#remember(
      await this.#o.api.request<Lease>(leasePath(this.#o.namespace, this.#o.name), {
        method: 'PUT',
        body,
        timeoutMs: this.#renewMs,
        signal: this.#stopping.signal,
      }),
    );
  }

  /** Our own writes restart the expiry clock too, as client-go records them as observed. */
  #remember(written: Lease): void {
    this.#observed = { key: recordKey(written.spec), at: this.#now() };
  }

  #observe(current: Lease): void {
    this.#seenVersion = current.metadata.resourceVersion;
    const key = recordKey(current.spec);
    if (this.#observed?.key !== key) this.#observed = { key, at: this.#now() };
    const holder = current.spec?.holderIdentity ?? '';
    if (holder !== '' && holder !== this.#o.identity) this.#setLeader(holder);
  }

  #setLeader(identity: string): void {
    if (this.#leader === identity) return;
    this.#leader = identity;
    this.#o.logger.info({ lease: this.#describe(), leader: identity }, 'new leader observed');
    this.#o.onNewLeader?.(identity);
  }

  /**
   * Clears holderIdentity if we still hold the lease. It reads the lease afresh: a renewal that
   * stop() interrupted may have been applied anyway, leaving what we remember stale.
   */
  async #release(): Promise<void> {
    const path = leasePath(this.#o.namespace, this.#o.name);
    try {
      const lease = await this.#o.api.request<Lease>(path, { timeoutMs: this.#renewMs });
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      this.#remember(
        await this.#o.api.request<Lease>(path, {
          method: 'PUT',
          body: { ...lease, spec: releasedSpec(lease.spec, this.#wall()) },
          timeoutMs: this.#renewMs,
        }),
      );
      this.#o.logger.info({ lease: this.#describe() }, 'released the leader lease');
    } catch (err) {
      this.#o.logger.warn(
        { lease: this.#describe(), err: String(err) },
        'could not release the leader lease',
      );
    }
  }

  #describe(): string {
    return `${this.#o.namespace}/${this.#o.name}`;
  }
}
