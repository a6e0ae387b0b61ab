// docs/contracts/placement.md §5 on a real apiserver: three replicas of our placement binary (the chart's HA
// flags: three --initial-cluster peers, --mode kubernetes, mTLS with SVIDs from our sentry) elect
// one leader through a Lease, using only the RBAC docs/placement.md asks the chart for. Clients
// that speak daprd's side of ReportDaprStatus with sentry-issued SVIDs try the three addresses as
// daprd does. The leader is killed (SIGKILL) and, in a second case, stopped (SIGTERM): a new
// leader serves, every client reconnects and receives one consistent table per namespace, and the
// failover time (kill → every client unlocked with the complete table on the new leader) is
// measured and printed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { credentials, status, type ChannelCredentials } from '@grpc/grpc-js';
import { CoordinationV1Api, RbacAuthorizationV1Api, type CoreV1Api } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { httpRequest } from '../../../kit/testing/http.js';
import { binaryPath } from '../../../kit/testing/service-process.js';
import { FailoverDaprd } from '../../../placement/testing/failover-daprd.js';
import { TestDaprd } from '../../../placement/server/testing/test-daprd.js';
import type { PlacementOrder } from '../../../placement/proto/placement.js';
import { checkServerSpiffeId } from '../../../kit/security/sentry-client.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { ManagedProcess, runId } from '../../harness/process.js';
import { freePorts } from '../../harness/ports.js';
import { waitFor } from '../../../kit/testing/wait.js';
import {
  coreApi,
  createPod,
  ensureNamespace,
  ensureServiceAccount,
  metricValue,
  podToken,
  scrape,
  sentryId,
  SKIP_UID_CHECK,
  startSentry,
  waitHealthy,
  type RunningSentry,
  type WorkloadSvid,
  workloadSvid,
  trustBundle,
} from '../sentry/support.js';

const NS = 'dapr-system';
const PLACEMENT_ID = `spiffe://cluster.local/ns/${NS}/dapr-placement`;
const LEASE = 'dapr-placement-leader';
const REPLICAS = 3;
const replicaName = (i: number): string => `dapr-placement-server-${i}`;
/** Upstream's chart form: one raft peer per replica (our placement elects through a Lease instead). */
const INITIAL_CLUSTER = Array.from(
  { length: REPLICAS },
  (_, i) => `${replicaName(i)}=${replicaName(i)}.dapr-placement-server.${NS}.svc.cluster.local:8201`,
).join(',');

/** Who runs where, and the table each namespace must converge to. */
const APPS = [
  { id: 'app-a', namespace: 'default', name: '10.0.0.1:50002', entities: ['A'] },
  { id: 'app-b', namespace: 'default', name: '10.0.0.2:50002', entities: ['A', 'B'] },
  { id: 'app-c', namespace: 'default', name: '10.0.0.3:50002', entities: ['B'] },
  { id: 'app-d', namespace: 'other', name: '10.0.1.1:50002', entities: ['A'] },
] as const;

function expectedTable(namespace: string): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const app of APPS.filter((a) => a.namespace === namespace)) {
    for (const type of app.entities) (table[type] ??= []).push(app.name);
  }
  for (const hosts of Object.values(table)) hosts.sort();
  return table;
}

/** Actor type → sorted hosts, types sorted too: the order of a table's map carries no meaning. */
function tableHosts(tables: PlacementOrder['tables']): Record<string, string[]> {
  return Object.fromEntries(
    [...(tables?.entries ?? [])]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([type, t]) => [type, [...t.loadMap.keys()].sort()]),
  );
}

interface Replica {
  readonly index: number;
  readonly ports: { port: number; healthzPort: number; metricsPort: number };
  readonly args: string[];
  readonly env: Record<string, string>;
  proc: ManagedProcess;
}

describe('placement HA: three replicas, one Lease, failover', () => {
  let cluster: TestCluster;
  let core: CoreV1Api;
  let dir: string;
  let sentry: RunningSentry;
  let anchors: Buffer;
  const replicas: Replica[] = [];
  const clients: FailoverDaprd[] = [];
  const probes: TestDaprd[] = [];
  /** Replicas stopped with SIGSTOP: not scraped (they would not answer). */
  const frozen = new Set<Replica>();

  const address = (r: Replica): string => `127.0.0.1:${r.ports.port}`;

  function clientCredentials(keyPem: Buffer, chainPem: Buffer): ChannelCredentials {
    return credentials.createSsl(anchors, keyPem, chainPem, {
      checkServerIdentity: (_host, cert) => checkServerSpiffeId(cert, PLACEMENT_ID),
    });
  }

  /** A daprd SVID from our sentry for `appId` in `namespace` (Pod, bound token, Ed25519 CSR). */
  const daprdSvid = (appId: string, namespace: string): Promise<WorkloadSvid> =>
    workloadSvid({
      core,
      sentryAddress: sentry.address,
      trustAnchorsPem: anchors,
      sentryNamespace: NS,
      appId,
      namespace,
    });

  /** Only the Role docs/placement.md asks the chart for (get/update/watch on the Lease, create). */
  async function grantLeaseRbac(): Promise<void> {
    const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: NS,
      body: {
        metadata: { name: 'dapr-placement' },
        rules: [
          // The chart's shape: the one Lease by name; create cannot be restricted by name.
          {
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            resourceNames: [LEASE],
            verbs: ['get', 'update', 'watch'],
          },
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NS,
      body: {
        metadata: { name: 'dapr-placement' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'dapr-placement' },
        subjects: [{ kind: 'ServiceAccount', name: 'dapr-placement', namespace: NS }],
      },
    });
  }

  /** A kubeconfig holding the replica pod's own service-account token (apiserver audience). */
  function tokenKubeconfig(i: number, token: string): string {
    const admin = parse(readFileSync(cluster.kubeconfigPath, 'utf8')) as {
      clusters: { name: string; cluster: Record<string, unknown> }[];
    };
    const file = join(dir, `${replicaName(i)}.kubeconfig`);
    writeFileSync(
      file,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: admin.clusters,
        users: [{ name: 'placement', user: { token } }],
        contexts: [{ name: 'placement', context: { cluster: admin.clusters[0]!.name, user: 'placement' } }],
        'current-context': 'placement',
      }),
    );
    return file;
  }

  async function prepareReplica(i: number, anchorsFile: string): Promise<Replica> {
    const pod = await createPod(core, {
      namespace: NS,
      name: replicaName(i),
      serviceAccount: 'dapr-placement',
      annotations: { 'dapr.io/control-plane': 'placement' },
    });
    const sentryToken = join(dir, `${replicaName(i)}.token`);
    writeFileSync(sentryToken, await podToken(core, pod, [sentryId(NS)]));
    const kubeconfig = tokenKubeconfig(i, await podToken(core, pod, []));
    const [port = 0, healthzPort = 0, metricsPort = 0] = await freePorts(3);
    const ports = { port, healthzPort, metricsPort };
    const args = [
      binaryPath('placement'),
      '--id',
      replicaName(i),
      '--initial-cluster',
      INITIAL_CLUSTER,
      '--raft-logstore-path',
      '/var/run/dapr/raft-log',
      '--mode',
      'kubernetes',
      '--tls-enabled',
      '--trust-domain',
      'cluster.local',
      '--sentry-address',
      sentry.address,
      '--trust-anchors-file',
      anchorsFile,
      '--listen-address',
      '127.0.0.1',
      '--port',
      String(port),
      '--healthz-port',
      String(healthzPort),
      '--metrics-port',
      String(metricsPort),
      '--metadata-enabled',
      '--kubeconfig',
      kubeconfig,
      '--log-as-json',
      '--log-level',
      'debug',
    ];
    const env = { NAMESPACE: NS, DAPR_SENTRY_TOKEN_FILE: sentryToken, ...SKIP_UID_CHECK };
    return { index: i, ports, args, env, proc: undefined as unknown as ManagedProcess };
  }

  async function startReplica(r: Replica): Promise<void> {
    r.proc = await ManagedProcess.start({
      name: replicaName(r.index),
      command: process.execPath,
      args: r.args,
      env: r.env,
      logFile: join(dir, `${replicaName(r.index)}.log`),
    });
    await waitHealthy(r.proc, r.ports.healthzPort, `${replicaName(r.index)} to become healthy`);
  }

  /** Replicas whose dapr_placement_leader_status is 1 (Dapr's own tests find the leader so). */
  async function leaders(): Promise<Replica[]> {
    const found: Replica[] = [];
    for (const r of replicas.filter((x) => x.proc.running && !frozen.has(x))) {
      try {
        if (metricValue(await scrape(r.ports.metricsPort), 'dapr_placement_leader_status') === 1)
          found.push(r);
      } catch {
        // a replica that is stopping may not answer
      }
    }
    return found;
  }

  async function theLeader(excluding?: Replica): Promise<Replica> {
    return waitFor(
      async () => {
        const ls = await leaders();
        return ls.length === 1 && ls[0] !== excluding ? ls[0] : undefined;
      },
      { what: 'exactly one leader', timeoutMs: 30_000, intervalMs: 50 },
    );
  }

  /** Every client unlocked on `leader` with its namespace's complete table, one version per namespace. */
  function converged(leader: Replica): boolean {
    const versions = new Map<string, string>();
    for (const c of clients) {
      const table = c.unlockedTable;
      if (table === undefined || c.current?.opts.address !== address(leader)) return false;
      if (JSON.stringify(tableHosts(table)) !== JSON.stringify(expectedTable(c.opts.namespace))) return false;
      const seen = versions.get(c.opts.namespace);
      if (seen !== undefined && seen !== table.version) return false;
      versions.set(c.opts.namespace, table.version);
    }
    return true;
  }

  /** Where each client stands, for failure messages. */
  function clientStates(): string {
    return clients
      .map((c) => {
        const d = c.current;
        const last = c.attempts.slice(-3).map((a) => `${a.address}:${a.code ?? '-'}/${a.orders}`);
        const table = c.unlockedTable;
        return (
          `${c.opts.id}: on ${d?.opts.address} ops ${JSON.stringify(d?.ops.slice(-6))} ` +
          `table v${table?.version} ${JSON.stringify(tableHosts(table))} error ${d?.error?.details} ` +
          `attempts ${c.attempts.length} ${last.join(' ')}`
        );
      })
      .join('\n');
  }

  async function waitConverged(leader: Replica, what: string): Promise<number> {
    try {
      await waitFor(() => converged(leader), { what, timeoutMs: 30_000, intervalMs: 10 });
    } catch (err) {
      throw new Error(`${(err as Error).message}; leader ${address(leader)}\n${clientStates()}`, {
        cause: err,
      });
    }
    return performance.now();
  }

  function readLease(): ReturnType<CoordinationV1Api['readNamespacedLease']> {
    return cluster.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: NS, name: LEASE });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-placement-ha-`));
    cluster = await startTestCluster();
    core = coreApi(cluster);
    await ensureNamespace(core, NS);
    sentry = await startSentry({ cluster, dir, name: 'sentry', namespace: NS });
    const bundle = await trustBundle(core, NS, dir);
    anchors = bundle.anchors;
    const anchorsFile = bundle.anchorsFile;

    await ensureServiceAccount(core, NS, 'dapr-placement');
    await grantLeaseRbac();
    for (let i = 0; i < REPLICAS; i++) replicas.push(await prepareReplica(i, anchorsFile));
    await Promise.all(replicas.map((r) => startReplica(r)));

    const svids = await Promise.all(APPS.map((a) => daprdSvid(a.id, a.namespace)));
    APPS.forEach((app, k) => {
      const svid = svids[k]!;
      clients.push(
        new FailoverDaprd({
          addresses: replicas.map(address),
          ...app,
          credentials: () => clientCredentials(svid.keyPem, svid.chainPem),
        }),
      );
    });
  }, 300_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    for (const p of probes) p.close();
    await Promise.all(replicas.map((r) => r.proc?.stop()));
    await sentry?.proc.stop();
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('one replica leads; the others are healthy and refuse streams with FailedPrecondition', async () => {
    const leader = await theLeader();
    await waitConverged(leader, 'every client unlocked on the leader');
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toMatch(new RegExp(`^${replicaName(leader.index)}_[0-9a-f]{8}$`));

    const svid = await daprdSvid('probe', 'default');
    for (const follower of replicas.filter((r) => r !== leader)) {
      const probe = new TestDaprd({
        address: address(follower),
        name: '10.0.9.9:50002',
        id: 'probe',
        namespace: 'default',
        entities: ['A'],
        credentials: clientCredentials(svid.keyPem, svid.chainPem),
      });
      probes.push(probe);
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
      address: address(leader),
      name: '10.0.4.1:50002',
      id: 'probe',
      namespace: 'default',
      credentials: clientCredentials(svid.keyPem, svid.chainPem),
    });
    probes.push(fresh);
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
    const leader = await theLeader();
    await waitConverged(leader, 'every client unlocked on the leader');
    const before = clients.map((c) => c.unlockedTable?.version);
    const transitionsBefore = (await readLease()).spec?.leaseTransitions;
    const svid = await daprdSvid('flood', 'flood');
    const liar = await daprdSvid('liar', 'flood');
    let streams = 0;
    const until = performance.now() + 3_000;
    // 12 loops, each opening a stream to the next replica and dropping it at a random point; a
    // third of them claim app-a's identity in its namespace with their own certificate.
    const loops = Array.from({ length: 12 }, async (_, k) => {
      for (let n = 0; performance.now() < until; n++) {
        const r = replicas[(k + n) % REPLICAS]!;
        const lying = k % 3 === 0;
        const d = new TestDaprd({
          address: address(r),
          name: `10.0.3.${k}:50002`,
          id: lying ? 'app-a' : 'flood',
          namespace: lying ? 'default' : 'flood',
          entities: ['A'],
          credentials: lying
            ? clientCredentials(liar.keyPem, liar.chainPem)
            : clientCredentials(svid.keyPem, svid.chainPem),
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
    expect(await leaders()).toEqual([leader]);
    expect((await readLease()).spec?.leaseTransitions).toBe(transitionsBefore);
    expect(converged(leader)).toBe(true);
    expect(clients.map((c) => c.unlockedTable?.version)).toEqual(before);
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
    const old = await theLeader();
    await waitConverged(old, 'every client unlocked on the leader');
    frozen.add(old);
    process.kill(old.proc.pid, 'SIGSTOP');
    let resumed = false;
    try {
      // Its clients hang on their streams (daprd has no heartbeat); the others elect a leader.
      const leader = await theLeader(old);
      const electedAt = performance.now();
      await new Promise((r) => setTimeout(r, 500));
      // Until it resumes, its clients stay on it (nothing ends their streams).
      expect(clients.every((c) => c.current?.opts.address === address(old))).toBe(true);
      process.kill(old.proc.pid, 'SIGCONT');
      const resumedAt = performance.now();
      resumed = true;
      frozen.delete(old);
      const doneAt = await waitConverged(leader, 'every client unlocked on the new leader');
      process.stdout.write(
        `frozen leader: resumed ${(resumedAt - electedAt).toFixed(0)} ms after the new election; ` +
          `every client unlocked on the new leader ${(doneAt - resumedAt).toFixed(0)} ms after the resume\n`,
      );
      expect(await leaders()).toEqual([leader]);
      await waitFor(() => old.proc.logTail(2_000).includes('Cluster leadership lost') || undefined, {
        what: 'the resumed leader to log its fence',
      });
      expect(metricValue(await scrape(old.ports.metricsPort), 'dapr_placement_leader_status')).toBe(0);
    } finally {
      if (!resumed) process.kill(old.proc.pid, 'SIGCONT');
      frozen.delete(old);
    }
  }, 120_000);

  it('SIGKILL of the leader: another replica leads within the lease, every client converges on it', async () => {
    const old = await theLeader();
    await waitConverged(old, 'every client unlocked on the leader');
    const killedAt = performance.now();
    old.proc.killGroupNow();
    await old.proc.exited;
    const leader = await theLeader(old);
    const leaderAt = performance.now();
    const doneAt = await waitConverged(leader, 'every client unlocked on the new leader');
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
    await startReplica(old);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await leaders()).toEqual([leader]);
    expect(converged(leader)).toBe(true);
  }, 120_000);

  it('SIGTERM of the leader: it fences and releases the lease; a follower takes over without waiting it out', async () => {
    const old = await theLeader();
    await waitConverged(old, 'every client unlocked on the leader');
    const stoppedAt = performance.now();
    const exit = old.proc.stop();
    const leader = await theLeader(old);
    const leaderAt = performance.now();
    const doneAt = await waitConverged(leader, 'every client unlocked on the new leader');
    process.stdout.write(
      `placement failover after SIGTERM of the leader: new leader after ${(leaderAt - stoppedAt).toFixed(0)} ms ` +
        `(metrics poll), every client unlocked with the full table after ${(doneAt - stoppedAt).toFixed(0)} ms\n`,
    );
    expect(await exit).toBe(0);
    expect(old.proc.logTail(400)).toContain('released the leader lease');
    // Every client saw the old leader end its stream (fence or shutdown), none a silent hang.
    for (const c of clients) {
      const onOld = c.attempts.filter((a) => a.address === address(old) && a.orders > 0).at(-1);
      expect([status.FAILED_PRECONDITION, status.UNAVAILABLE]).toContain(onOld?.code);
    }
    expect(doneAt - stoppedAt).toBeLessThan(10_000);
    // The followers' watches on the Lease worked under the Role's resourceNames restriction.
    for (const r of replicas) expect(r.proc.logTail(5_000)).not.toContain('lease watch failed');
  }, 120_000);
});
