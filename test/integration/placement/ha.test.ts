// docs/contracts/placement.md §5 on a real apiserver: three replicas of our placement binary (the chart's HA
// flags: three --initial-cluster peers, --mode kubernetes, mTLS with SVIDs from our sentry) elect
// one leader through a Lease, using only the RBAC docs/placement.md asks the chart for. Clients
// that speak daprd's side of ReportDaprStatus with sentry-issued SVIDs try the three addresses as
// daprd does. The leader is killed (SIGKILL) and, in a second case, stopped (SIGTERM): a new
// leader serves, every client reconnects and receives one consistent table per namespace, and the
// failover time (kill → every client unlocked with the complete table on the new leader) is
// measured and printed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { httpRequest } from '../../../kit/testing/http.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { TestDaprd } from '../../../placement/server/testing/test-daprd.js';
import { metricValue, scrape } from '../../harness/service-probes.js';
import { PlacementHa, REPLICAS, replicaName } from './ha-cluster.js';

describe('placement HA: three replicas, one Lease, failover', () => {
  const ha = new PlacementHa();
  beforeAll(() => ha.start(), 300_000);
  afterAll(() => ha.stop(), 60_000);

  it('one replica leads; the others are healthy and refuse streams with FailedPrecondition', async () => {
    const leader = await ha.theLeader();
    await ha.waitConverged(leader, 'every client unlocked on the leader');
    const lease = await ha.readLease();
    expect(lease.spec?.holderIdentity).toMatch(new RegExp(`^${replicaName(leader.index)}_[0-9a-f]{8}$`));

    const svid = await ha.daprdSvid('probe', 'default');
    for (const follower of ha.replicas.filter((r) => r !== leader)) {
      const probe = new TestDaprd({
        address: ha.address(follower),
        name: '10.0.9.9:50002',
        id: 'probe',
        namespace: 'default',
        entities: ['A'],
        credentials: ha.clientCredentials(svid.keyPem, svid.chainPem),
      });
      ha.probes.push(probe);
      const err = await probe.closed();
      expect([err?.code, err?.details]).toEqual([
        status.FAILED_PRECONDITION,
        `node id=${replicaName(follower.index)} is not a leader. Only the leader can serve requests`,
      ]);
      expect(probe.orders).toEqual([]);
      // Followers answer the state endpoint with `null` (upstream's behaviour) and count no runtimes.
      const state = await httpRequest(`http://127.0.0.1:${follower.ports.healthzPort}/placement/state`);
      expect([state.status, state.body]).toEqual([200, 'null']);
      const metrics = await scrape(follower.ports.metricsPort);
      expect(metricValue(metrics, 'dapr_placement_leader_status')).toBe(0);
      expect(metrics).not.toMatch(/^dapr_placement_runtimes_total\{[^}]*\} [1-9]/m);
    }
    // A fresh daprd (new channel, mTLS handshake) gets its first table from the leader at once.
    const t0 = performance.now();
    const fresh = new TestDaprd({
      address: ha.address(leader),
      name: '10.0.4.1:50002',
      id: 'probe',
      namespace: 'default',
      credentials: ha.clientCredentials(svid.keyPem, svid.chainPem),
    });
    ha.probes.push(fresh);
    await fresh.until((d) => d.ops.some((o) => o.startsWith('unlock:')), 10_000);
    const firstTableMs = performance.now() - t0;
    process.stdout.write(`first table for a fresh mTLS daprd: ${firstTableMs.toFixed(0)} ms\n`);
    expect(firstTableMs).toBeLessThan(2_000);
    fresh.close();

    const state = JSON.parse(
      (await httpRequest(`http://127.0.0.1:${leader.ports.healthzPort}/placement/state`)).body,
    ) as { tables: Record<string, { hosts: { name: string }[] }> };
    expect(state.tables.default?.hosts.map((h) => h.name)).toEqual([
      '10.0.0.1:50002',
      '10.0.0.2:50002',
      '10.0.0.3:50002',
    ]);
    expect(state.tables.other?.hosts.map((h) => h.name)).toEqual(['10.0.1.1:50002']);
  }, 120_000);

  it('a flood of reconnects to every replica moves neither the leader nor any other namespace', async () => {
    const leader = await ha.theLeader();
    await ha.waitConverged(leader, 'every client unlocked on the leader');
    const before = ha.clients.map((c) => c.unlockedTable?.version);
    const transitionsBefore = (await ha.readLease()).spec?.leaseTransitions;
    const svid = await ha.daprdSvid('flood', 'flood');
    const liar = await ha.daprdSvid('liar', 'flood');
    let streams = 0;
    const until = performance.now() + 3_000;
    // 12 loops, each opening a stream to the next replica and dropping it at a random point; a
    // third of them claim app-a's identity in its namespace with their own certificate.
    const loops = Array.from({ length: 12 }, async (_, k) => {
      for (let n = 0; performance.now() < until; n++) {
        const r = ha.replicas[(k + n) % REPLICAS]!;
        const lying = k % 3 === 0;
        const d = new TestDaprd({
          address: ha.address(r),
          name: `10.0.3.${k}:50002`,
          id: lying ? 'app-a' : 'flood',
          namespace: lying ? 'default' : 'flood',
          entities: ['A'],
          credentials: lying
            ? ha.clientCredentials(liar.keyPem, liar.chainPem)
            : ha.clientCredentials(svid.keyPem, svid.chainPem),
        });
        streams++;
        await new Promise((res) => setTimeout(res, Math.random() * 50));
        d.close();
      }
    });
    await Promise.all(loops);
    process.stdout.write(`reconnect flood: ${streams} streams in 3 s against the three replicas\n`);
    expect(streams).toBeGreaterThan(50);

    // Same leader, no lease transition, every client still on its table of before.
    await new Promise((res) => setTimeout(res, 1_000));
    expect(await ha.leaders()).toEqual([leader]);
    expect((await ha.readLease()).spec?.leaseTransitions).toBe(transitionsBefore);
    expect(ha.converged(leader)).toBe(true);
    expect(ha.clients.map((c) => c.unlockedTable?.version)).toEqual(before);
    // The flood namespace empties once its streams are gone.
    await waitFor(
      async () => {
        const body = (await httpRequest(`http://127.0.0.1:${leader.ports.healthzPort}/placement/state`)).body;
        return !body.includes('"flood"') || undefined;
      },
      { what: 'the flood namespace to empty', timeoutMs: 15_000 },
    );
  }, 120_000);

  it('a frozen leader (SIGSTOP) is replaced; resumed, it fences before acting and its clients move over', async () => {
    const old = await ha.theLeader();
    await ha.waitConverged(old, 'every client unlocked on the leader');
    ha.frozen.add(old);
    process.kill(old.proc.pid, 'SIGSTOP');
    let resumed = false;
    try {
      // Its clients hang on their streams (daprd has no heartbeat); the others elect a leader.
      const leader = await ha.theLeader(old);
      const electedAt = performance.now();
      await new Promise((r) => setTimeout(r, 500));
      // Until it resumes, its clients stay on it (nothing ends their streams).
      expect(ha.clients.every((c) => c.current?.opts.address === ha.address(old))).toBe(true);
      process.kill(old.proc.pid, 'SIGCONT');
      const resumedAt = performance.now();
      resumed = true;
      ha.frozen.delete(old);
      const doneAt = await ha.waitConverged(leader, 'every client unlocked on the new leader');
      process.stdout.write(
        `frozen leader: resumed ${(resumedAt - electedAt).toFixed(0)} ms after the new election; ` +
          `every client unlocked on the new leader ${(doneAt - resumedAt).toFixed(0)} ms after the resume\n`,
      );
      expect(await ha.leaders()).toEqual([leader]);
      await waitFor(() => old.proc.logTail(2_000).includes('Cluster leadership lost') || undefined, {
        what: 'the resumed leader to log its fence',
      });
      expect(metricValue(await scrape(old.ports.metricsPort), 'dapr_placement_leader_status')).toBe(0);
    } finally {
      if (!resumed) process.kill(old.proc.pid, 'SIGCONT');
      ha.frozen.delete(old);
    }
  }, 120_000);

  it('SIGKILL of the leader: another replica leads within the lease, every client converges on it', async () => {
    const old = await ha.theLeader();
    await ha.waitConverged(old, 'every client unlocked on the leader');
    const killedAt = performance.now();
    old.proc.killGroupNow();
    await old.proc.exited;
    const leader = await ha.theLeader(old);
    const leaderAt = performance.now();
    const doneAt = await ha.waitConverged(leader, 'every client unlocked on the new leader');
    process.stdout.write(
      `placement failover after SIGKILL of the leader: new leader after ${(leaderAt - killedAt).toFixed(0)} ms ` +
        `(metrics poll), every client unlocked with the full table after ${(doneAt - killedAt).toFixed(0)} ms\n`,
    );
    expect(leader).not.toBe(old);
    // The 4 s lease must run out first: nobody releases it for a dead leader, and its last
    // renewal was at most a retry period (1 s) before the kill.
    expect(doneAt - killedAt).toBeGreaterThan(2_500);
    expect(doneAt - killedAt).toBeLessThan(20_000);

    // Restarted (as the StatefulSet would), it rejoins as a follower; the leader stays.
    await ha.startReplica(old);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await ha.leaders()).toEqual([leader]);
    expect(ha.converged(leader)).toBe(true);
  }, 120_000);

  it('SIGTERM of the leader: it fences and releases the lease; a follower takes over without waiting it out', async () => {
    const old = await ha.theLeader();
    await ha.waitConverged(old, 'every client unlocked on the leader');
    const stoppedAt = performance.now();
    const exit = old.proc.stop();
    const leader = await ha.theLeader(old);
    const leaderAt = performance.now();
    const doneAt = await ha.waitConverged(leader, 'every client unlocked on the new leader');
    process.stdout.write(
      `placement failover after SIGTERM of the leader: new leader after ${(leaderAt - stoppedAt).toFixed(0)} ms ` +
        `(metrics poll), every client unlocked with the full table after ${(doneAt - stoppedAt).toFixed(0)} ms\n`,
    );
    expect(await exit).toBe(0);
    expect(old.proc.logTail(400)).toContain('released the leader lease');
    // Every client saw the old leader end its stream (fence or shutdown), none a silent hang.
    for (const c of ha.clients) {
      const onOld = c.attempts.filter((a) => a.address === ha.address(old) && a.orders > 0).at(-1);
      expect([status.FAILED_PRECONDITION, status.UNAVAILABLE]).toContain(onOld?.code);
    }
    expect(doneAt - stoppedAt).toBeLessThan(10_000);
    // The followers' watches on the Lease worked under the Role's resourceNames restriction.
    for (const r of ha.replicas) expect(r.proc.logTail(5_000)).not.toContain('lease watch failed');
  }, 120_000);
});
