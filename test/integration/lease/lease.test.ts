// kit/kubernetes/lease.ts against a real kube-apiserver: two electors on one Lease. One leads;
// stop() hands over within a retry period; a leader whose renewals are cut off fences itself
// and the other takes over only after the lease duration; and at no instant do both lead
// (checked with the timestamps of both electors' callbacks on one clock).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import {
  KubeApiError,
  KubeClient,
  type KubeApi,
  type Query,
  type RequestOptions,
  type WatchEvent,
} from '../../../kit/kubernetes/client.js';
import { kubeconfigConnection } from '../../../kit/kubernetes/config.js';
import { LeaderElector } from '../../../kit/kubernetes/lease.js';
import { leasePath, type Lease } from '../../../kit/kubernetes/lease-record.js';
import { recordingLogger } from '../../../kit/testing/logger.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { waitFor } from '../../../kit/testing/wait.js';

const NS = 'default';
const TIMINGS = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 } as const;

/** Cuts one elector off from the apiserver: every request fails, as in a network partition. */
class Cuttable implements KubeApi {
  cut = false;
  constructor(private readonly inner: KubeApi) {}
  request<T>(path: string, options?: RequestOptions): Promise<T> {
    if (this.cut) return Promise.reject(new KubeApiError(503, 'ServiceUnavailable', 'partitioned'));
    return this.inner.request<T>(path, options);
  }
  watch(path: string, query: Query, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    return this.inner.watch(path, query, onEvent, signal);
  }
}

interface Term {
  readonly who: string;
  readonly start: number;
  end?: number;
}

describe('LeaderElector against a real kube-apiserver', () => {
  let cluster: TestCluster;
  let client: KubeClient;
  const electors: LeaderElector[] = [];
  const terms: Term[] = [];

  function candidate(api: KubeApi, name: string, who: string): LeaderElector {
    const e = new LeaderElector({
      api,
      namespace: NS,
      name,
      identity: who,
      ...TIMINGS,
      logger: recordingLogger(who),
      onStartedLeading: (signal) => {
        const term: Term = { who, start: performance.now() };
        terms.push(term);
        signal.addEventListener('abort', () => (term.end = performance.now()));
      },
      onStoppedLeading: () => undefined,
    });
    electors.push(e);
    e.start();
    return e;
  }

  async function readLease(name: string): Promise<Lease> {
    return client.request<Lease>(leasePath(NS, name));
  }

  function expectNoOverlap(name: string): void {
    const sorted = terms.filter((t) => t.who.startsWith(name)).sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i - 1]!.end).toBeDefined();
      expect(sorted[i]!.start).toBeGreaterThanOrEqual(sorted[i - 1]!.end!);
    }
  }

  beforeAll(async () => {
    cluster = await startTestCluster();
    const doc: unknown = parse(readFileSync(cluster.kubeconfigPath, 'utf8'));
    client = new KubeClient(kubeconfigConnection(doc, cluster.kubeconfigPath), { userAgent: 'lease-test' });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop()));
    client?.close();
    await cluster?.stop();
  }, 60_000);

  it('one of two candidates leads; stop() hands the lease over within a retry period', async () => {
    const a = candidate(client, 'handover', 'handover-a');
    await waitFor(() => a.isLeader || undefined, { what: 'a to lead', timeoutMs: 10_000, intervalMs: 10 });
    const b = candidate(client, 'handover', 'handover-b');
    await waitFor(() => (b.leader === 'handover-a' ? true : undefined), {
      what: 'b to see a',
      timeoutMs: 10_000,
      intervalMs: 10,
    });
    expect(b.isLeader).toBe(false);
    const lease = await readLease('handover');
    expect(lease.spec).toMatchObject({
      holderIdentity: 'handover-a',
      leaseDurationSeconds: 3,
      leaseTransitions: 0,
    });

    const stoppedAt = performance.now();
    await a.stop();
    await waitFor(() => b.isLeader || undefined, { what: 'b to lead', timeoutMs: 10_000, intervalMs: 10 });
    const handover = performance.now() - stoppedAt;
    process.stdout.write(`lease handover after a graceful stop: ${handover.toFixed(0)} ms\n`);
    // A crash would cost the 3 s lease; a release costs at most one jittered retry (≤ 660 ms) + I/O.
    expect(handover).toBeLessThan(TIMINGS.leaseDurationMs);
    expect((await readLease('handover')).spec).toMatchObject({
      holderIdentity: 'handover-b',
      leaseTransitions: 1,
    });
    expectNoOverlap('handover');
  }, 60_000);

  it('a leader whose renewals are cut off fences itself; the other leads after the lease duration', async () => {
    const cutApi = new Cuttable(client);
    const a = candidate(cutApi, 'partition', 'partition-a');
    await waitFor(() => a.isLeader || undefined, { what: 'a to lead', timeoutMs: 10_000, intervalMs: 10 });
    const b = candidate(client, 'partition', 'partition-b');
    await waitFor(() => (b.leader === 'partition-a' ? true : undefined), {
      what: 'b to see a',
      timeoutMs: 10_000,
      intervalMs: 10,
    });

    cutApi.cut = true;
    const cutAt = performance.now();
    await waitFor(() => !a.isLeader || undefined, {
      what: 'a to fence itself',
      timeoutMs: 10_000,
      intervalMs: 10,
    });
    const fencedAfter = performance.now() - cutAt;
    await waitFor(() => b.isLeader || undefined, { what: 'b to lead', timeoutMs: 20_000, intervalMs: 10 });
    const takenAfter = performance.now() - cutAt;
    process.stdout.write(
      `lease partition: a fenced after ${fencedAfter.toFixed(0)} ms, b leads after ${takenAfter.toFixed(0)} ms\n`,
    );
    expect(fencedAfter).toBeLessThanOrEqual(TIMINGS.renewDeadlineMs + 100);
    // b saw a's last renewal at most one retry before the cut, so it waited nearly the full lease.
    expect(takenAfter).toBeGreaterThanOrEqual(TIMINGS.leaseDurationMs - TIMINGS.retryPeriodMs * 2.2);
    expect((await readLease('partition')).spec).toMatchObject({
      holderIdentity: 'partition-b',
      leaseTransitions: 1,
    });
    expectNoOverlap('partition');

    // Reconnected, a stays a follower: the lease is b's and b renews it.
    cutApi.cut = false;
    await new Promise((r) => setTimeout(r, TIMINGS.leaseDurationMs));
    expect(a.isLeader).toBe(false);
    expect(a.leader).toBe('partition-b');
    expectNoOverlap('partition');
  }, 60_000);
});
