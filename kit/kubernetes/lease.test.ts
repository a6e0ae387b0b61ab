import { afterEach, describe, expect, it } from '@jest/globals';
import { recordingLogger } from '../testing/logger.js';
import { KubeApiError, type KubeApi, type Query, type RequestOptions, type WatchEvent } from './client.js';
import { FakeKubeApi } from './testing/fake-api.js';
import { LeaderElector, type LeaderElectionOptions } from './lease.js';
import { claimedSpec, heldByAnother, leasePath, microTime, type Lease } from './lease-record.js';

const NS = 'dapr-system';
const NAME = 'dapr-placement-leader';
const PATH = leasePath(NS, NAME);

// Short but well-separated timings: renewals every 30 ms, fence after 200 ms, lease 400 ms.
const TIMINGS = { leaseDurationMs: 400, renewDeadlineMs: 200, retryPeriodMs: 30 } as const;

/** A KubeApi in front of the fake that one elector can be cut off from (fail fast or hang). */
class Partition implements KubeApi {
  mode: 'up' | 'failing' | 'hanging' = 'up';
  constructor(readonly inner: FakeKubeApi) {}

  request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    if (this.mode === 'failing')
      return Promise.reject(new KubeApiError(503, 'ServiceUnavailable', 'cut off'));
    if (this.mode === 'hanging') {
      // Like KubeClient: the request hangs until its timeout or its signal.
      return new Promise((_, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out')), options.timeoutMs ?? 30_000);
        options.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new Error('aborted'));
        });
      });
    }
    return this.inner.request<T>(path, options);
  }

  watch(path: string, query: Query, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    return this.inner.watch(path, query, onEvent, signal);
  }
}

interface Term {
  readonly identity: string;
  readonly start: number;
  end?: number;
}

/** Every leadership term of every elector, with start/end on one clock, to check for overlap. */
const terms: Term[] = [];
const electors: LeaderElector[] = [];

function elector(
  api: KubeApi,
  identity: string,
  extra: Partial<LeaderElectionOptions> = {},
): LeaderElector & { newLeaders: string[] } {
  const newLeaders: string[] = [];
  let current: Term | undefined;
  const e = new LeaderElector({
    api,
    namespace: NS,
    name: NAME,
    identity,
    ...TIMINGS,
    logger: recordingLogger(identity),
    onStartedLeading: (signal) => {
      current = { identity, start: performance.now() };
      terms.push(current);
      // The end of a term is when the signal aborts: that is when the service stops serving.
      const term = current;
      signal.addEventListener('abort', () => (term.end = performance.now()));
    },
    onStoppedLeading: () => {
      if (current !== undefined) current.end ??= performance.now();
    },
    onNewLeader: (id) => newLeaders.push(id),
    ...extra,
  });
  electors.push(e);
  return Object.assign(e, { newLeaders });
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function lease(api: FakeKubeApi): Lease {
  return api.object(PATH) as unknown as Lease;
}

function expectNoOverlap(): void {
  const sorted = [...terms].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    expect(prev.end).toBeDefined();
    expect(sorted[i]!.start).toBeGreaterThanOrEqual(prev.end!);
  }
}

afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  terms.length = 0;
});

describe('lease record rules', () => {
  it('writes MicroTime with six fractional digits', () => {
    expect(microTime(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678000Z');
  });

  it('a new holder counts a transition and a new acquireTime; a renewal keeps both', () => {
    const t0 = new Date('2026-01-01T00:00:00Z');
    const first = claimedSpec(undefined, 'a', 15_000, t0);
    expect(first).toEqual({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-01T00:00:00.000000Z',
      renewTime: '2026-01-01T00:00:00.000000Z',
      leaseTransitions: 0,
    });
    const renewed = claimedSpec(first, 'a', 15_000, new Date('2026-01-01T00:00:02Z'));
    expect(renewed.acquireTime).toBe(first.acquireTime);
    expect(renewed.renewTime).toBe('2026-01-01T00:00:02.000000Z');
    expect(renewed.leaseTransitions).toBe(0);
    const taken = claimedSpec(renewed, 'b', 15_000, new Date('2026-01-01T00:00:30Z'));
    expect(taken.acquireTime).toBe('2026-01-01T00:00:30.000000Z');
    expect(taken.leaseTransitions).toBe(1);
  });

  it('judges expiry on the local clock from when the record was seen, not from renewTime', () => {
    // renewTime is an hour old (a skewed clock), yet we saw it change only 1 s ago: still held.
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2020-01-01T00:00:00.000000Z' };
    expect(
      heldByAnother(spec, {
        identity: 'b',
        observed: { key: 'k', at: 1_000 },
        now: 2_000,
        leaseDurationMs: 15_000,
      }),
    ).toBe(true);
    expect(
      heldByAnother(spec, {
        identity: 'b',
        observed: { key: 'k', at: 1_000 },
        now: 16_000,
        leaseDurationMs: 15_000,
      }),
    ).toBe(false);
    expect(
      heldByAnother(spec, {
        identity: 'a',
        observed: { key: 'k', at: 1_000 },
        now: 2_000,
        leaseDurationMs: 15_000,
      }),
    ).toBe(false);
    expect(
      heldByAnother(
        { ...spec, holderIdentity: '' },
        { identity: 'b', observed: { key: 'k', at: 1_000 }, now: 2_000, leaseDurationMs: 15_000 },
      ),
    ).toBe(false);
  });
});

describe('LeaderElector', () => {
  it('creates the lease when there is none and leads', async () => {
    const api = new FakeKubeApi();
    const a = elector(api, 'placement-0');
    a.start();
    await until(() => a.isLeader);
    const l = lease(api);
    expect(l.metadata.name).toBe(NAME);
    expect(l.spec).toMatchObject({
      holderIdentity: 'placement-0',
      leaseDurationSeconds: 1,
      leaseTransitions: 0,
    });
    expect(l.spec?.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(a.leader).toBe('placement-0');
    expect(a.newLeaders).toEqual(['placement-0']);
  });

  it('renews while leading, so a second candidate never takes over', async () => {
    const api = new FakeKubeApi();
    const a = elector(api, 'a');
    a.start();
    await until(() => a.isLeader);
    const b = elector(api, 'b');
    b.start();
    const firstRenew = lease(api).spec?.renewTime;
    await new Promise((r) => setTimeout(r, TIMINGS.leaseDurationMs * 2));
    expect(a.isLeader).toBe(true);
    expect(b.isLeader).toBe(false);
    expect(b.leader).toBe('a');
    expect(b.newLeaders).toEqual(['a']);
    expect(lease(api).spec?.renewTime).not.toBe(firstRenew);
    expect(lease(api).spec?.holderIdentity).toBe('a');
  });

  it('stop() ends the term, then clears holderIdentity so a candidate takes over within a retry', async () => {
    const api = new FakeKubeApi();
    const order: string[] = [];
    const a = elector(api, 'a', {
      onStartedLeading: (signal) => {
        terms.push({ identity: 'a', start: performance.now() });
        signal.addEventListener('abort', () => order.push('a: signal aborted'));
      },
      onStoppedLeading: () => {
        terms[0]!.end = performance.now();
        order.push(`a: stopped, holder ${String(lease(api).spec?.holderIdentity)}`);
      },
    });
    a.start();
    await until(() => a.isLeader);
    const b = elector(api, 'b');
    b.start();
    await until(() => b.leader === 'a');
    const stoppedAt = performance.now();
    await a.stop();
    // The term ended while the lease still named a: no successor could have started yet.
    expect(order).toEqual(['a: signal aborted', 'a: stopped, holder a']);
    expect(lease(api).spec?.holderIdentity).toBe('');
    await until(() => b.isLeader);
    // A retry is at most 2.2 × 30 ms; far below the 400 ms lease a crash would cost.
    expect(performance.now() - stoppedAt).toBeLessThan(TIMINGS.leaseDurationMs);
    expect(lease(api).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expectNoOverlap();
  });

  it('a leader cut off from the apiserver fences itself before the lease can pass', async () => {
    const fake = new FakeKubeApi();
    const cut = new Partition(fake);
    const a = elector(cut, 'a');
    a.start();
    await until(() => a.isLeader);
    const b = elector(fake, 'b');
    b.start();
    await until(() => b.leader === 'a');
    cut.mode = 'failing';
    const cutAt = performance.now();
    await until(() => !a.isLeader);
    const fencedAfter = performance.now() - cutAt;
    expect(fencedAfter).toBeLessThan(TIMINGS.leaseDurationMs);
    await until(() => b.isLeader);
    // b waited the lease out from when it last saw a renewal.
    expect(performance.now() - cutAt).toBeGreaterThanOrEqual(
      TIMINGS.leaseDurationMs - TIMINGS.retryPeriodMs * 2,
    );
    expect(lease(fake).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expectNoOverlap();
  });

  it('a renewal that hangs does not delay the fence: it comes at the renew deadline', async () => {
    const fake = new FakeKubeApi();
    const cut = new Partition(fake);
    const a = elector(cut, 'a');
    a.start();
    await until(() => a.isLeader);
    const b = elector(fake, 'b');
    b.start();
    await until(() => b.leader === 'a');
    cut.mode = 'hanging';
    await until(() => b.isLeader);
    expectNoOverlap();
    expect(terms.find((t) => t.identity === 'a')?.end).toBeDefined();
  });

  it('an elector cut off and reconnected becomes a candidate again and leads once the lease is free', async () => {
    const fake = new FakeKubeApi();
    const cut = new Partition(fake);
    const a = elector(cut, 'a');
    a.start();
    await until(() => a.isLeader);
    cut.mode = 'failing';
    await until(() => !a.isLeader);
    cut.mode = 'up';
    // Nobody else took it, and it still names a: a takes it back at once.
    await until(() => a.isLeader);
    expect(terms.filter((t) => t.identity === 'a')).toHaveLength(2);
    expectNoOverlap();
  });

  it('losing a create race (AlreadyExists) leaves the candidate a follower', async () => {
    const api = new FakeKubeApi();
    api.withFailure(
      'POST',
      leasePath(NS, NAME).replace(/\/[^/]+$/, ''),
      new KubeApiError(409, 'AlreadyExists', 'x'),
    );
    const a = elector(api, 'a');
    a.start();
    await until(() => api.requests.filter((r) => r.method === 'POST').length >= 1);
    expect(a.isLeader).toBe(false);
    // The next attempt creates it.
    await until(() => a.isLeader);
  });

  it('three candidates: exactly one leads at any time across stops', async () => {
    const api = new FakeKubeApi();
    const es = ['x', 'y', 'z'].map((id) => elector(api, id));
    for (const e of es) e.start();
    await until(() => es.some((e) => e.isLeader));
    for (let round = 0; round < 2; round++) {
      const leader = es.find((e) => e.isLeader)!;
      expect(es.filter((e) => e.isLeader)).toHaveLength(1);
      await leader.stop();
      await until(() => es.some((e) => e.isLeader));
      es.splice(es.indexOf(leader), 1);
    }
    expectNoOverlap();
    expect(lease(api).spec?.leaseTransitions).toBe(2);
  });

  it('a candidate wakes when the lease it saw held runs out, not a whole retry period later', async () => {
    // Another holder's lease (1 s), never renewed: a dead leader.
    const api = new FakeKubeApi().withObject(PATH, {
      metadata: { name: NAME, namespace: NS },
      spec: { holderIdentity: 'dead', leaseDurationSeconds: 1, renewTime: '2026-01-01T00:00:00.000000Z' },
    });
    let clock = 0;
    const delays: number[] = [];
    const a = elector(api, 'a', {
      leaseDurationMs: 10_000,
      renewDeadlineMs: 5_000,
      retryPeriodMs: 3_000,
      now: () => clock,
      random: () => 0,
      delay: (ms) => {
        delays.push(ms);
        clock += ms;
        return new Promise((r) => setTimeout(r, 1));
      },
    });
    a.start();
    await until(() => a.isLeader);
    // Seen at 0, it runs out at 1000: the first wait is 1000 ms, not the 3000 ms retry period.
    expect(delays[0]).toBe(1_000);
    expect(lease(api).spec).toMatchObject({ holderIdentity: 'a', leaseTransitions: 1 });
  });

  it('a candidate watching the lease takes it as soon as the leader releases it, not at its next retry', async () => {
    const api = new FakeKubeApi();
    // Retries 3 s apart: only the watch can explain a takeover within a few hundred ms.
    const slow = { leaseDurationMs: 8_000, renewDeadlineMs: 6_000, retryPeriodMs: 3_000 };
    const a = elector(api, 'a', slow);
    a.start();
    await until(() => a.isLeader);
    // b's watch: reports the lease the moment its holder is cleared, as the apiserver would.
    api.withWatch(async (onEvent, signal) => {
      while (!signal.aborted && lease(api).spec?.holderIdentity !== '') {
        await new Promise((r) => setTimeout(r, 5));
      }
      if (!signal.aborted) onEvent({ type: 'MODIFIED', object: lease(api) });
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    });
    const b = elector(api, 'b', slow);
    b.start();
    await until(() => b.leader === 'a');
    const stoppedAt = performance.now();
    await a.stop();
    await until(() => b.isLeader, 2_000);
    expect(performance.now() - stoppedAt).toBeLessThan(1_000);
    expect(api.watches.at(-1)).toMatchObject({ fieldSelector: `metadata.name=${NAME}`, timeoutSeconds: 300 });
    expectNoOverlap();
  });

  it('refuses timings under which two replicas could lead at once', () => {
    const base = {
      api: new FakeKubeApi(),
      namespace: NS,
      name: NAME,
      identity: 'a',
      logger: recordingLogger(),
    };
    const cb = { onStartedLeading: (): void => undefined, onStoppedLeading: (): void => undefined };
    expect(
      () =>
        new LeaderElector({
          ...base,
          ...cb,
          leaseDurationMs: 1000,
          renewDeadlineMs: 1000,
          retryPeriodMs: 100,
        }),
    ).toThrow(/lease duration/);
    expect(() => new LeaderElector({ ...base, ...cb, renewDeadlineMs: 100, retryPeriodMs: 100 })).toThrow(
      /renew deadline/,
    );
  });
});
