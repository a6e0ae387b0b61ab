// Actor placement with the real daprd (issue 13, placement item of issue 5): our control plane
// from the chart with three placement replicas (Lease election, docs/placement.md), an actor host
// app (test/apps/actors.ts, one type `Counter`) as a Deployment of three pods with injected daprd
// sidecars, and the actor state store on the test's Redis.
//   1. 1,000 actor ids called through the three daprds each end up active on exactly one host,
//      the one placement's hash ring names (time to first table measured per daprd).
//   2. SIGKILL of the leading placement replica, then a graceful deletion of the next leader's
//      pod: each time every daprd gets its table from the new leader and calls resume (failover
//      measured).
//   3. One actor host's pod deleted: its actors move, the Deployment's new pod joins, and once
//      the round completes no id is active on two hosts (recovery measured).
// The figures are printed at the end. A failure message carries the last log lines of the
// placement pods and of every workload pod's app and daprd.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Lease, V1Pod } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTROL_PLANE_NAMESPACE, installControlPlane } from '../../demo/control-plane.js';
import { daprBinDir } from '../../deps/paths.js';
import { startTestEnvironment, type TestEnvironment } from '../../harness/environment.js';
import { startRedis, type TestRedis } from '../../harness/redis.js';
import { Helm } from '../../harness/tools.js';
import { waitFor } from '../../../kit/testing/wait.js';
import {
  activations,
  activeOn,
  callActor,
  callAll,
  counterManifests,
  daprdLog,
  firstLine,
  NAMESPACE,
  placementReady,
  ringOwners,
  runningHosts,
  seconds,
  CONNECTED,
  STREAM_BROKEN,
  TABLE_APPLIED,
  workloadTails,
  type ActorCall,
  type ActorHost,
  type Activations,
} from './actors-support.js';

const IDS = Array.from({ length: 1000 }, (_, i) => `counter-${i}`);
const HOSTS = 3;
const PLACEMENT_APP = 'dapr-placement-server';
const LEASE_PATH = `/apis/coordination.k8s.io/v1/namespaces/${CONTROL_PLANE_NAMESPACE}/leases/dapr-placement-leader`;
const METRICS_PORT = 9090;

let env: TestEnvironment | undefined;
let redis: TestRedis | undefined;
let helm: Helm | undefined;
/** The actor hosts as the previous step left them. */
let hosts: ActorHost[] = [];
/** Every workload pod seen, for failure messages (logs of deleted pods stay readable). */
const seenPods = new Set<string>();
const figures: string[] = [];
const say = (msg: string): void => {
  figures.push(msg);
};

function cluster(): TestEnvironment {
  if (env === undefined) throw new Error('the test environment did not start');
  return env;
}

/** Runs a step; a failure gets the placement pods' and the workload's log tails appended. */
async function withLogs<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const e = err as Error;
    if (env !== undefined)
      e.message += `\n${env.logTails(CONTROL_PLANE_NAMESPACE, PLACEMENT_APP, 40)}\n${workloadTails(env, [...seenPods])}`;
    throw e;
  }
}

async function currentHosts(): Promise<ActorHost[]> {
  const found = await waitFor(
    async () => {
      const h = await runningHosts(cluster());
      return h.length === HOSTS && h;
    },
    { what: `${HOSTS} running ${NAMESPACE}/counter pods`, timeoutMs: 180_000, intervalMs: 100 },
  );
  for (const h of found) seenPods.add(h.pod);
  return found;
}

/** Every id active on exactly one host, the host the ring names; returns the per-host counts. */
function expectOneHostEach(
  lists: readonly Activations[],
  ids: readonly string[],
  on: readonly ActorHost[],
): string {
  const where = activeOn(lists);
  const doubles = [...where].filter(([, pods]) => pods.length > 1);
  expect(doubles).toEqual([]);
  expect(ids.filter((id) => !where.has(id))).toEqual([]);
  const owners = ringOwners(on, ids);
  const misplaced = ids.filter((id) => where.get(id)?.[0] !== owners.get(id));
  expect(misplaced.map((id) => `${id}: on ${where.get(id)?.join()}, ring says ${owners.get(id)}`)).toEqual(
    [],
  );
  return lists.map((l) => `${l.pod} ${ids.filter((id) => where.get(id)?.[0] === l.pod).length}`).join(', ');
}

function expectAllServed(calls: readonly ActorCall[]): void {
  const failed = calls.filter((c) => !c.ok);
  expect(failed.slice(0, 10).map((c) => `${c.id} via ${c.via}: ${c.error}`)).toEqual([]);
}

/**
 * From daprd's own log timestamps: its first log line → its first applied table (actors callable),
 * and its first connection to placement → that table (placement's share).
 */
function daprdFirstTable(pod: string): string {
  const lines = daprdLog(cluster(), pod);
  const table = firstLine(lines, 0, TABLE_APPLIED);
  const connected = firstLine(lines, 0, CONNECTED);
  expect(lines[0] !== undefined && table !== undefined && connected !== undefined).toBe(true);
  return `${seconds(table!.at - lines[0]!.at)} after daprd's start, ${seconds(table!.at - connected!.at)} after it connected`;
}

async function leaseHolder(): Promise<string | undefined> {
  return (await cluster().agent.client.get<V1Lease>(LEASE_PATH)).spec?.holderIdentity ?? undefined;
}

/** The longest time between consecutive instants (ms), 0 for fewer than two. */
function longestGap(instants: readonly number[]): number {
  const sorted = [...instants].sort((a, b) => a - b);
  return sorted.reduce((gap, t, i) => (i === 0 ? gap : Math.max(gap, t - sorted[i - 1]!)), 0);
}

/** The holder identity is `<pod name>_<8 hex>` (docs/placement.md, "The Lease"). */
const podOfHolder = (holder: string): string => holder.slice(0, holder.lastIndexOf('_'));

/**
 * Stops the leader as `how` says, then waits until another replica holds the Lease, every daprd
 * applied a table from it, and its metrics count the actor hosts. Returns when each happened.
 */
async function handOver(
  how: 'SIGKILL' | 'pod deletion',
  holder: string,
  pid: number,
): Promise<{ killedAt: number; electedAt: number; newLeader: string; tablesAt: number[] }> {
  const e = cluster();
  const leaderPod = podOfHolder(holder);
  const killedAt = Date.now();
  if (how === 'SIGKILL') process.kill(pid, 'SIGKILL');
  else {
    const del = await e.kubectl(['delete', 'pod', leaderPod, '-n', CONTROL_PLANE_NAMESPACE, '--wait=false']);
    expect(del.code).toBe(0);
  }
  const newHolder = await waitFor(
    async () => {
      // A graceful stop first clears the holder (""): wait for the next one to take it.
      const h = await leaseHolder();
      return h !== undefined && h !== '' && h !== holder ? h : undefined;
    },
    { what: 'another placement replica to take the Lease', timeoutMs: 60_000, intervalMs: 50 },
  );
  const electedAt = Date.now();
  const newLeader = podOfHolder(newHolder);
  const leaderIp = (
    await e.agent.client.get<V1Pod>(`/api/v1/namespaces/${CONTROL_PLANE_NAMESPACE}/pods/${newLeader}`)
  ).status?.podIP;
  // Every daprd applied a table after the kill: only the new leader can have sent it.
  const tablesAt = await waitFor(
    () => {
      const at = hosts.flatMap((h) => firstLine(daprdLog(e, h.pod), killedAt, TABLE_APPLIED)?.at ?? []);
      return at.length === hosts.length && at;
    },
    { what: 'every daprd to apply a table from the new leader', timeoutMs: 60_000, intervalMs: 100 },
  );
  await Promise.all(
    hosts.map((h) =>
      waitFor(() => placementReady(h), {
        what: `${h.pod}'s daprd to be connected again`,
        timeoutMs: 30_000,
      }),
    ),
  );
  // The new leader counts the three actor hosts.
  await waitFor(
    async () => {
      const r = await fetch(`http://${leaderIp}:${METRICS_PORT}/metrics`, {
        signal: AbortSignal.timeout(3_000),
      });
      const text = await r.text();
      return (
        text.includes('\ndapr_placement_leader_status 1\n') &&
        text.includes(`dapr_placement_actor_runtimes_total{host_namespace="${NAMESPACE}"} ${HOSTS}\n`)
      );
    },
    { what: `${newLeader}'s metrics to show it leads with ${HOSTS} actor hosts`, timeoutMs: 30_000 },
  );
  await sleep(1_000);
  return { killedAt, electedAt, newLeader, tablesAt };
}

/**
 * Stops the leading placement replica (SIGKILL of its process, or a graceful deletion of its
 * pod) while every sidecar keeps calling actors; checks that every daprd gets its table from the
 * new leader, that calls resume and that the 1,000 ids stay one host each; reports the timings.
 */
async function failover(how: 'SIGKILL' | 'pod deletion'): Promise<void> {
  const e = cluster();
  const holder = await leaseHolder();
  expect(holder).toBeDefined();
  const leaderPod = podOfHolder(holder!);
  const pid = Object.values(e.agent.podInfo(CONTROL_PLANE_NAMESPACE, leaderPod)?.pids ?? {})[0];
  expect(pid).toBeDefined();
  expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('placement');
  const deactivatedBefore = (await Promise.all(hosts.map(activations))).reduce(
    (n, l) => n + l.deactivations,
    0,
  );

  // Each sidecar keeps calling 20 actors, one call at a time, through the failover.
  const probes: ActorCall[] = [];
  let probing = true;
  const probeLoops = hosts.map(async (h, i) => {
    for (let k = 0; probing; k++) {
      probes.push(await callActor(h, `probe-${i}-${k % 20}`, 30_000));
      await sleep(50);
    }
  });
  await sleep(1_000);

  const { killedAt, electedAt, newLeader, tablesAt } = await handOver(how, holder!, pid!).finally(
    async () => {
      probing = false;
      await Promise.all(probeLoops);
    },
  );

  // Calls resume through every sidecar: the first success of a call made once its daprd had
  // seen the leader go (its stream broke), and the longest wait between successes.
  // (Were the break logged at debug level only, as daprd does for "not a leader", the stop
  // itself is the reference.)
  const lostAt = hosts.map((h) => firstLine(daprdLog(e, h.pod), killedAt, STREAM_BROKEN)?.at ?? killedAt);
  const resumed = hosts.map(
    (h, i) => probes.find((p) => p.via === h.pod && p.ok && p.start >= lostAt[i]!)?.end,
  );
  expect(resumed.every((t) => t !== undefined)).toBe(true);
  const stalls = hosts.map((h) =>
    longestGap(probes.filter((p) => p.via === h.pod && p.ok).map((p) => p.end)),
  );
  const failed = probes.filter((p) => !p.ok && p.end >= killedAt);
  const afterTables = probes.filter((p) => p.start > Math.max(...tablesAt) + 500);
  expect(afterTables.length).toBeGreaterThan(0);
  expectAllServed(afterTables);
  const deactivatedAfter = (await Promise.all(hosts.map(activations))).reduce(
    (n, l) => n + l.deactivations,
    0,
  );

  say(
    `leader failover (${how} of ${leaderPod}; new leader ${newLeader}): Lease taken after ${seconds(electedAt - killedAt)}, ` +
      `every daprd on the new leader's table after ${seconds(Math.max(...tablesAt) - killedAt)} ` +
      `(first ${seconds(Math.min(...tablesAt) - killedAt)})`,
  );
  say(
    `leader failover (${how}): daprds saw their stream break ${seconds(Math.min(...lostAt) - killedAt)}–` +
      `${seconds(Math.max(...lostAt) - killedAt)} after the kill; the first call made after that ` +
      `succeeded ${seconds(Math.min(...(resumed as number[])) - killedAt)} after the kill, through every sidecar ` +
      `after ${seconds(Math.max(...(resumed as number[])) - killedAt)}; longest wait between successful calls ` +
      `per sidecar ${stalls.map(seconds).join(', ')}; ` +
      `${failed.length} of ${probes.filter((p) => p.end >= killedAt).length} calls failed during it` +
      (failed.length > 0 ? ` (e.g. ${failed[0]!.error})` : ''),
  );
  say(
    `leader failover (${how}): daprd deactivated ${deactivatedAfter - deactivatedBefore} actors (halts on losing placement)`,
  );

  // The 1,000 ids are still placed one host each.
  expectAllServed(await callAll(hosts, IDS));
  say(
    `after failover (${how}), actors per host: ${expectOneHostEach(await Promise.all(hosts.map(activations)), IDS, hosts)}`,
  );
}

beforeAll(async () => {
  const daprd = `${daprBinDir()}/daprd`;
  if (!existsSync(daprd))
    throw new Error(
      `the real daprd is required and ${daprd} does not exist: run \`bash test/deps/fetch.sh daprd\``,
    );
  env = await startTestEnvironment();
  redis = await startRedis({ host: env.network.hostIp, password: randomBytes(12).toString('hex') });
  helm = new Helm();
  await installControlPlane(env, helm, say, {
    // HA asks for a raft-log volume per replica unless the log is in memory; the local cluster
    // has no volume provisioner (and our placement keeps no log either way).
    sets: ['dapr_placement.ha=true', 'dapr_placement.cluster.forceInMemoryLog=true'],
    replicas: { [PLACEMENT_APP]: 3 },
  });
}, 600_000);

/** Warnings and errors in these logs (Dapr's text format), each message once: what to look into. */
function complaints(logs: readonly string[]): string[] {
  const seen = new Map<string, number>();
  for (const line of logs.flatMap((text) => text.split('\n'))) {
    if (!/level=(warning|error|fatal)/.test(line)) continue;
    // The message without ids and numbers, so repeats count as one.
    const msg = (/msg="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? line).replace(/\d+/g, 'N').slice(0, 240);
    seen.set(msg, (seen.get(msg) ?? 0) + 1);
  }
  return [...seen].map(([msg, n]) => `${n}× ${msg}`);
}

/** Every log of the containers named, over the whole run (gone pods and earlier instances too). */
function logsOf(pods: readonly string[], container: string): string[] {
  const e = cluster();
  return pods.flatMap((p) => {
    const [ns, name] = p.split('/') as [string, string];
    return [false, true].flatMap((previous) => {
      try {
        return [e.logs(ns, name, container, { previous })];
      } catch {
        return [];
      }
    });
  });
}

afterAll(async () => {
  if (env !== undefined) {
    const placementPods = env.agent
      .timings()
      .map((t) => t.pod)
      .filter((p) => p.startsWith(`${CONTROL_PLANE_NAMESPACE}/${PLACEMENT_APP}-`));
    const fs = await import('node:fs');
    fs.mkdirSync('/tmp/actors-logs', { recursive: true });
    for (const p of seenPods)
      fs.writeFileSync(`/tmp/actors-logs/${p}.daprd.log`, logsOf([`${NAMESPACE}/${p}`], 'daprd').join('\n'));
    for (const p of placementPods)
      fs.writeFileSync(`/tmp/actors-logs/${p.split('/')[1]}.log`, logsOf([p], PLACEMENT_APP).join('\n'));
    const daprds = logsOf(
      [...seenPods].map((p) => `${NAMESPACE}/${p}`),
      'daprd',
    );
    say(`daprd warnings/errors: ${['', ...complaints(daprds)].join('\n    ')}`);
    const placements = logsOf(placementPods, PLACEMENT_APP);
    say(`placement warnings/errors: ${['', ...complaints(placements)].join('\n    ')}`);
  }
  console.log(`actor placement with the real daprd:\n  ${figures.join('\n  ')}`);
  await env?.stop();
  await redis?.stop();
  helm?.dispose();
}, 120_000);

describe('actor placement: the real daprd on three hosts, our placement with three replicas', () => {
  it('gives every daprd its first table and places each of 1,000 actor ids on exactly one host, the one the ring names', async () => {
    await withLogs(async () => {
      const e = cluster();
      await e.apply(counterManifests(`${redis!.host}:${redis!.port}`, redis!.password!, HOSTS));
      hosts = await currentHosts();
      // Actors are callable once daprd has a table (metadata "placement: connected", host ready).
      await Promise.all(
        hosts.map((h) =>
          waitFor(() => placementReady(h), {
            what: `${h.pod}'s daprd to report "placement: connected" and a ready actor host`,
            timeoutMs: 120_000,
            intervalMs: 100,
          }),
        ),
      );
      for (const h of hosts) {
        say(`time to first table, ${h.pod}: ${daprdFirstTable(h.pod)}`);
      }

      const started = Date.now();
      const calls = await callAll(hosts, IDS);
      expectAllServed(calls);
      say(`1,000 actor calls through 3 daprds: ${seconds(Date.now() - started)}`);
      const lists = await Promise.all(hosts.map(activations));
      // The app that answered is the one the id is active on.
      const where = activeOn(lists);
      expect(calls.filter((c) => where.get(c.id)?.[0] !== c.servedBy).map((c) => c.id)).toEqual([]);
      say(`actors per host: ${expectOneHostEach(lists, IDS, hosts)}`);
    });
  }, 420_000);

  it('moves every daprd to the new placement leader when the leader is killed, and calls resume', async () => {
    await withLogs(() => failover('SIGKILL'));
  }, 300_000);

  it('hands over to a new leader when the leader pod is deleted (graceful stop), and calls resume', async () => {
    await withLogs(() => failover('pod deletion'));
  }, 300_000);

  it('moves a restarted host’s actors and, once the round completes, has no id active on two hosts', async () => {
    await withLogs(async () => {
      const e = cluster();
      const [victim, ...survivors] = hosts as [ActorHost, ...ActorHost[]];
      const owners = ringOwners(hosts, IDS);
      const victimIds = IDS.filter((id) => owners.get(id) === victim.pod);
      expect(victimIds.length).toBeGreaterThan(0);
      const sample = victimIds.slice(0, 30);

      const deletedAt = Date.now();
      const del = await e.kubectl(['delete', 'pod', victim.pod, '-n', NAMESPACE, '--wait=false']);
      expect(del.code).toBe(0);
      // Its actors answer from another host: through the surviving sidecars, by another app.
      const movedAt = await waitFor(
        async () => {
          const calls = await Promise.all(
            sample.map((id, i) => callActor(survivors[i % survivors.length]!, id, 10_000)),
          );
          return calls.every((c) => c.ok && c.servedBy !== victim.pod) && Date.now();
        },
        {
          what: `the actors of ${victim.pod} to answer from another host`,
          timeoutMs: 120_000,
          intervalMs: 100,
        },
      );

      const next = await currentHosts();
      const joined = next.find((h) => !hosts.some((o) => o.pod === h.pod));
      expect(joined).toBeDefined();
      await waitFor(() => placementReady(joined!), {
        what: `the new pod ${joined!.pod}'s daprd to get its table`,
        timeoutMs: 120_000,
        intervalMs: 100,
      });
      const joinedAt = Date.now();
      await Promise.all(
        survivors.map((h) =>
          waitFor(() => placementReady(h), { what: `${h.pod}'s daprd to be ready`, timeoutMs: 30_000 }),
        ),
      );
      // The round that added the new host made the survivors deactivate what is now its.
      const newOwners = ringOwners(next, IDS);
      const survivorLists = await Promise.all(survivors.map(activations));
      const stale = survivorLists.flatMap((l) =>
        l.active
          .filter((id) => newOwners.has(id) && newOwners.get(id) !== l.pod)
          .map((id) => `${id} on ${l.pod}`),
      );
      expect(stale).toEqual([]);

      expectAllServed(await callAll(next, IDS));
      const counts = expectOneHostEach(await Promise.all(next.map(activations)), IDS, next);
      hosts = next;
      say(
        `host restart (${victim.pod} deleted, ${victimIds.length} actors): they answer from other hosts after ` +
          `${seconds(movedAt - deletedAt)}; the new pod ${joined!.pod} hosts actors after ${seconds(joinedAt - deletedAt)} ` +
          `(its first table ${daprdFirstTable(joined!.pod)})`,
      );
      say(`after the restart, actors per host: ${counts}`);
    });
  }, 300_000);
});
