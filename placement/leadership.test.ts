// docs/contracts/placement.md §5: who serves. One replica always; several in Kubernetes mode through a Lease,
// with the fence run the moment a term ends and the leader gauges following it.
import { afterEach, describe, expect, it } from '@jest/globals';
import { HealthTargets } from '../kit/health-targets.js';
import { FakeKubeApi } from '../kit/kubernetes/testing/fake-api.js';
import { leasePath, type Lease } from '../kit/kubernetes/lease-record.js';
import { recordingLogger } from '../kit/testing/logger.js';
import { leadershipMode, leaseIdentity, LeaseLeadership, singleReplica } from './leadership.js';
import type { PlacementMetrics } from './metrics.js';

const TIMINGS = { leaseDurationMs: 400, renewDeadlineMs: 200, retryPeriodMs: 30 };

function gauges(): PlacementMetrics & { leader: boolean[] } {
  const leader: boolean[] = [];
  return {
    leader,
    runtimesTotal: () => undefined,
    actorRuntimesTotal: () => undefined,
    leaderStatus: (l) => leader.push(l),
  };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

interface Replica {
  readonly leadership: LeaseLeadership;
  readonly metrics: ReturnType<typeof gauges>;
  readonly targets: HealthTargets;
  readonly fences: number[];
  stop(): Promise<void>;
}

function replica(api: FakeKubeApi, id: string, serving: Promise<void> = Promise.resolve()): Replica {
  const metrics = gauges();
  const targets = new HealthTargets();
  const fences: number[] = [];
  const abort = new AbortController();
  const leadership = new LeaseLeadership({
    api,
    kubeconfig: '',
    env: {},
    namespace: 'dapr-system',
    leaseName: 'dapr-placement-leader',
    identity: id,
    timings: TIMINGS,
    log: recordingLogger(id),
    metrics,
    health: targets.addTarget('placement-raft-leadership'),
    fence: () => fences.push(performance.now()),
    serving,
  });
  const running = leadership.run(abort.signal);
  const stop = async (): Promise<void> => {
    abort.abort();
    await running;
  };
  stops.push(stop);
  return { leadership, metrics, targets, fences, stop };
}

describe('leadership mode', () => {
  it('one peer is a single always-leader replica, in either mode', () => {
    expect(leadershipMode({ mode: 'standalone', peerCount: 1 })).toEqual({ kind: 'single' });
    expect(leadershipMode({ mode: 'kubernetes', peerCount: 1 })).toEqual({ kind: 'single' });
  });

  it('several peers elect through a Lease in Kubernetes mode, and are refused in standalone mode', () => {
    expect(leadershipMode({ mode: 'kubernetes', peerCount: 3 })).toEqual({ kind: 'lease' });
    const standalone = leadershipMode({ mode: 'standalone', peerCount: 3 });
    expect(standalone.kind).toBe('invalid');
    expect(standalone.kind === 'invalid' && standalone.message).toContain('--mode kubernetes');
  });

  it('lease identities are unique per process even when --id repeats', () => {
    const a = leaseIdentity('dapr-placement-server-0');
    expect(a).toMatch(/^dapr-placement-server-0_[0-9a-f]{8}$/);
    expect(leaseIdentity('dapr-placement-server-0')).not.toBe(a);
  });

  it('a single replica is leader and healthy from the start', async () => {
    const metrics = gauges();
    const targets = new HealthTargets();
    const single = singleReplica({ metrics, health: targets.addTarget('placement-raft-leadership') });
    const abort = new AbortController();
    const running = single.run(abort.signal);
    expect(single.isLeader()).toBe(true);
    expect(targets.isHealthy()).toBe(true);
    expect(metrics.leader).toEqual([true]);
    abort.abort();
    await running;
  });
});

describe('lease leadership', () => {
  it('one of three leads; followers are healthy and not leaders; gauges say who leads', async () => {
    const api = new FakeKubeApi();
    const rs = ['p0', 'p1', 'p2'].map((id) => replica(api, id));
    await until(() => rs.some((r) => r.leadership.isLeader()));
    await new Promise((r) => setTimeout(r, TIMINGS.leaseDurationMs));
    const leaders = rs.filter((r) => r.leadership.isLeader());
    expect(leaders).toHaveLength(1);
    expect(leaders[0]!.metrics.leader).toEqual([true]);
    for (const r of rs) expect(r.targets.isHealthy()).toBe(true);
    for (const r of rs.filter((x) => !leaders.includes(x))) expect(r.metrics.leader).toEqual([]);
    const lease = api.object(leasePath('dapr-system', 'dapr-placement-leader')) as unknown as Lease;
    expect(['p0', 'p1', 'p2']).toContain(lease.spec?.holderIdentity);
  });

  it('a stopping leader fences before it releases the lease; a follower then leads', async () => {
    const api = new FakeKubeApi();
    const a = replica(api, 'a');
    await until(() => a.leadership.isLeader());
    const b = replica(api, 'b');
    await new Promise((r) => setTimeout(r, 50));
    await a.stop();
    expect(a.fences).toHaveLength(1);
    expect(a.metrics.leader).toEqual([true, false]);
    expect(a.leadership.isLeader()).toBe(false);
    await until(() => b.leadership.isLeader());
    const lease = api.object(leasePath('dapr-system', 'dapr-placement-leader')) as unknown as Lease;
    expect(lease.spec?.holderIdentity).toBe('b');
    expect(lease.spec?.leaseTransitions).toBe(1);
  });

  it('a leader whose renewals fail fences itself at the renew deadline', async () => {
    const api = new FakeKubeApi();
    const a = replica(api, 'a');
    await until(() => a.leadership.isLeader());
    for (let i = 0; i < 50; i++) {
      api.withFailure('GET', leasePath('dapr-system', 'dapr-placement-leader'), new Error('apiserver down'));
    }
    await until(() => a.fences.length === 1);
    expect(a.leadership.isLeader()).toBe(false);
    expect(a.metrics.leader).toEqual([true, false]);
  });

  it('does not compete for the lease before the gRPC server serves', async () => {
    const api = new FakeKubeApi();
    let serve: () => void = () => undefined;
    const a = replica(api, 'a', new Promise<void>((r) => (serve = r)));
    await new Promise((r) => setTimeout(r, 100));
    expect(api.requests).toEqual([]);
    expect(a.leadership.isLeader()).toBe(false);
    serve();
    await until(() => a.leadership.isLeader());
  });
});
