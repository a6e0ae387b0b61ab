// Placement HA for the tests: our sentry and three placement replicas in the test cluster (the
// chart's HA flags, the Lease RBAC docs/placement.md asks for), daprd-like clients with SVIDs
// from sentry, and the questions the scenarios ask: who leads, have the clients converged, the Lease.
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { CoordinationV1Api, RbacAuthorizationV1Api, type CoreV1Api } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { binaryPath, portFlags } from '../../../kit/testing/service-binary.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { checkServerSpiffeId } from '../../../kit/security/sentry-client.js';
import type { PlacementOrder } from '../../../placement/proto/placement.js';
import type { TestDaprd } from '../../../placement/server/testing/test-daprd.js';
import { FailoverDaprd } from '../../../placement/testing/failover-daprd.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import {
  coreApi,
  createPod,
  ensureNamespace,
  ensureServiceAccount,
  podToken,
} from '../../harness/kube-objects.js';
import { freePorts } from '../../harness/ports.js';
import { ManagedProcess, runId } from '../../../kit/testing/managed-process.js';
import {
  type RunningSentry,
  sentryId,
  SKIP_UID_CHECK,
  startSentry,
  trustBundle,
} from '../../harness/sentry-in-cluster.js';
import { metricValue, scrape } from '../../harness/service-probes.js';
import { waitHealthy } from '../../../kit/testing/service-binary.js';
import { type WorkloadSvid, workloadSvid } from '../../harness/workload-svid.js';

const NS = 'dapr-system';
const PLACEMENT_ID = `spiffe://cluster.local/ns/${NS}/dapr-placement`;
const LEASE = 'dapr-placement-leader';
export const REPLICAS = 3;
export const replicaName = (i: number): string => `dapr-placement-server-${i}`;
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

export interface Replica {
  readonly index: number;
  readonly ports: { port: number; healthzPort: number; metricsPort: number };
  readonly args: string[];
  readonly env: Record<string, string>;
  proc: ManagedProcess;
}

export class PlacementHa {
  cluster!: TestCluster;
  core!: CoreV1Api;
  dir!: string;
  sentry!: RunningSentry;
  anchors!: Buffer;
  readonly replicas: Replica[] = [];
  readonly clients: FailoverDaprd[] = [];
  /** Extra daprd-like streams a scenario opens; closed by stop(). */
  readonly probes: TestDaprd[] = [];
  /** Replicas stopped with SIGSTOP: not scraped (they would not answer). */
  readonly frozen = new Set<Replica>();

  readonly address = (r: Replica): string => `127.0.0.1:${r.ports.port}`;

  /** Starts everything; whatever started is stopped by stop(), also when this fails half-way. */
  async start(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-placement-ha-`));
    this.cluster = await startTestCluster();
    this.core = coreApi(this.cluster);
    await ensureNamespace(this.core, NS);
    this.sentry = await startSentry({ cluster: this.cluster, dir: this.dir, name: 'sentry', namespace: NS });
    const bundle = await trustBundle(this.core, NS, this.dir);
    this.anchors = bundle.anchors;
    const anchorsFile = bundle.anchorsFile;

    await ensureServiceAccount(this.core, NS, 'dapr-placement');
    await this.grantLeaseRbac();
    for (let i = 0; i < REPLICAS; i++) this.replicas.push(await this.prepareReplica(i, anchorsFile));
    await Promise.all(this.replicas.map((r) => this.startReplica(r)));

    const svids = await Promise.all(APPS.map((a) => this.daprdSvid(a.id, a.namespace)));
    APPS.forEach((app, k) => {
      const svid = svids[k]!;
      this.clients.push(
        new FailoverDaprd({
          addresses: this.replicas.map(this.address),
          ...app,
          credentials: () => this.clientCredentials(svid.keyPem, svid.chainPem),
        }),
      );
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.stop()));
    for (const p of this.probes) p.close();
    await Promise.all(this.replicas.map((r) => r.proc?.stop()));
    await this.sentry?.proc.stop();
    await this.cluster?.stop();
    if (this.dir !== undefined) rmSync(this.dir, { recursive: true, force: true });
  }

  clientCredentials(keyPem: Buffer, chainPem: Buffer): ChannelCredentials {
    return credentials.createSsl(this.anchors, keyPem, chainPem, {
      checkServerIdentity: (_host, cert) => checkServerSpiffeId(cert, PLACEMENT_ID),
    });
  }

  /** A daprd SVID from our sentry for `appId` in `namespace` (Pod, bound token, Ed25519 CSR). */
  daprdSvid(appId: string, namespace: string): Promise<WorkloadSvid> {
    return workloadSvid({
      core: this.core,
      sentryAddress: this.sentry.address,
      trustAnchorsPem: this.anchors,
      sentryNamespace: NS,
      appId,
      namespace,
    });
  }

  /** Only the Role docs/placement.md asks the chart for (get/update/watch on the Lease, create). */
  async grantLeaseRbac(): Promise<void> {
    const rbac = this.cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
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
  tokenKubeconfig(i: number, token: string): string {
    const admin = parse(readFileSync(this.cluster.kubeconfigPath, 'utf8')) as {
      clusters: { name: string; cluster: Record<string, unknown> }[];
    };
    const file = join(this.dir, `${replicaName(i)}.kubeconfig`);
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

  async prepareReplica(i: number, anchorsFile: string): Promise<Replica> {
    const pod = await createPod(this.core, {
      namespace: NS,
      name: replicaName(i),
      serviceAccount: 'dapr-placement',
      annotations: { 'dapr.io/control-plane': 'placement' },
    });
    const sentryToken = join(this.dir, `${replicaName(i)}.token`);
    writeFileSync(sentryToken, await podToken(this.core, pod, [sentryId(NS)]));
    const kubeconfig = this.tokenKubeconfig(i, await podToken(this.core, pod, []));
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
      this.sentry.address,
      '--trust-anchors-file',
      anchorsFile,
      '--listen-address',
      '127.0.0.1',
      ...portFlags({ port, healthzPort, metricsPort }),
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

  async startReplica(r: Replica): Promise<void> {
    r.proc = await ManagedProcess.start({
      name: replicaName(r.index),
      command: process.execPath,
      args: r.args,
      env: r.env,
      logFile: join(this.dir, `${replicaName(r.index)}.log`),
    });
    await waitHealthy(r.proc, r.ports.healthzPort, `${replicaName(r.index)} to become healthy`);
  }

  /** Replicas whose dapr_placement_leader_status is 1 (Dapr's own tests find the leader so). */
  async leaders(): Promise<Replica[]> {
    const found: Replica[] = [];
    for (const r of this.replicas.filter((x) => x.proc.running && !this.frozen.has(x))) {
      try {
        if (metricValue(await scrape(r.ports.metricsPort), 'dapr_placement_leader_status') === 1)
          found.push(r);
      } catch {
        // a replica that is stopping may not answer
      }
    }
    return found;
  }

  async theLeader(excluding?: Replica): Promise<Replica> {
    return waitFor(
      async () => {
        const ls = await this.leaders();
        return ls.length === 1 && ls[0] !== excluding ? ls[0] : undefined;
      },
      { what: 'exactly one leader', timeoutMs: 30_000, intervalMs: 50 },
    );
  }

  /** Every client unlocked on `leader` with its namespace's complete table, one version per namespace. */
  converged(leader: Replica): boolean {
    const versions = new Map<string, string>();
    for (const c of this.clients) {
      const table = c.unlockedTable;
      if (table === undefined || c.current?.opts.address !== this.address(leader)) return false;
      if (JSON.stringify(tableHosts(table)) !== JSON.stringify(expectedTable(c.opts.namespace))) return false;
      const seen = versions.get(c.opts.namespace);
      if (seen !== undefined && seen !== table.version) return false;
      versions.set(c.opts.namespace, table.version);
    }
    return true;
  }

  /** Where each client stands, for failure messages. */
  clientStates(): string {
    return this.clients
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

  async waitConverged(leader: Replica, what: string): Promise<number> {
    try {
      await waitFor(() => this.converged(leader), { what, timeoutMs: 30_000, intervalMs: 10 });
    } catch (err) {
      throw new Error(`${(err as Error).message}; leader ${this.address(leader)}\n${this.clientStates()}`, {
        cause: err,
      });
    }
    return performance.now();
  }

  readLease(): ReturnType<CoordinationV1Api['readNamespacedLease']> {
    return this.cluster.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: NS, name: LEASE });
  }
}
