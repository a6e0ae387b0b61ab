// Our placement binary in Kubernetes mode against the test cluster: it takes its identity from
// our sentry (bound service-account token, Ed25519 key), serves ReportDaprStatus over mTLS to a
// client holding a sentry-issued daprd SVID, shows the host in /placement/state, and refuses a
// client whose certificate comes from another CA.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import type { CoreV1Api } from '@kubernetes/client-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryPath, portFlags } from '../../../kit/testing/service-binary.js';
import { httpRequest } from '../../../kit/testing/http.js';
import { checkServerSpiffeId } from '../../../kit/security/sentry-client.js';
import { TestDaprd } from '../../../placement/server/testing/test-daprd.js';
import { TestPki } from '../../../kit/testing/test-pki.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { ManagedProcess, runId } from '../../../kit/testing/managed-process.js';
import { freePorts } from '../../harness/ports.js';
import { coreApi, ensureNamespace } from '../../harness/kube-objects.js';
import {
  controlPlaneTokenFile,
  type RunningSentry,
  SKIP_UID_CHECK,
  startSentry,
  trustBundle,
} from '../../harness/sentry-in-cluster.js';
import { metricValue, scrape } from '../../harness/service-probes.js';
import { healthz, waitHealthy } from '../../../kit/testing/service-binary.js';
import { type WorkloadSvid, workloadSvid } from '../../harness/workload-svid.js';

const NS = 'dapr-system';
const PLACEMENT_ID = `spiffe://cluster.local/ns/${NS}/dapr-placement`;

describe('placement in Kubernetes mode with mTLS from our sentry', () => {
  let cluster: TestCluster;
  let core: CoreV1Api;
  let dir: string;
  let sentry: RunningSentry;
  let placement: ManagedProcess;
  let anchors: Buffer;
  let ports: { port: number; healthzPort: number; metricsPort: number };
  const daprds: TestDaprd[] = [];

  /** Channel credentials that trust the anchors and require placement's exact SPIFFE id. */
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

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-placement-`));
    cluster = await startTestCluster();
    core = coreApi(cluster);
    await ensureNamespace(core, NS);
    sentry = await startSentry({ cluster, dir, name: 'sentry', namespace: NS });

    const bundle = await trustBundle(core, NS, dir);
    anchors = bundle.anchors;
    const anchorsFile = bundle.anchorsFile;
    const tokenFile = await controlPlaneTokenFile(core, dir, {
      namespace: NS,
      service: 'placement',
      serviceAccount: 'dapr-placement',
      podName: 'dapr-placement-server-0',
    });

    const [port = 0, healthzPort = 0, metricsPort = 0] = await freePorts(3);
    ports = { port, healthzPort, metricsPort };
    placement = await ManagedProcess.start({
      name: 'placement',
      command: process.execPath,
      args: [
        binaryPath('placement'),
        '--mode',
        'kubernetes',
        '--tls-enabled',
        '--trust-domain',
        'cluster.local',
        '--sentry-address',
        sentry.address,
        '--trust-anchors-file',
        anchorsFile,
        ...portFlags({ port, healthzPort, metricsPort }),
        '--metadata-enabled',
      ],
      env: { NAMESPACE: NS, DAPR_SENTRY_TOKEN_FILE: tokenFile, ...SKIP_UID_CHECK },
      logFile: join(dir, 'placement.log'),
    });
    await waitHealthy(placement, healthzPort, 'placement to become healthy');
  }, 240_000);

  afterAll(async () => {
    for (const d of daprds) d.close();
    await placement?.stop();
    await sentry?.proc.stop();
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('is healthy, leader, and logs the SVID it got from sentry', async () => {
    expect(await healthz(ports.healthzPort)).toBe(200);
    const metrics = await scrape(ports.metricsPort);
    expect(metricValue(metrics, 'dapr_placement_leader_status')).toBe(1);
    expect(metricValue(metrics, 'dapr_placement_raft_leader_status')).toBe(1);
    expect(placement.logTail(200)).toContain(PLACEMENT_ID);
  });

  it('serves a daprd with a sentry-issued SVID: LOCK, UPDATE, UNLOCK, and /placement/state', async () => {
    const svid = await daprdSvid('myapp', 'default');
    const connectedAt = performance.now();
    const daprd = new TestDaprd({
      address: `127.0.0.1:${ports.port}`,
      name: '10.0.0.1:50002',
      id: 'myapp',
      namespace: 'default',
      entities: ['MyActor'],
      credentials: clientCredentials(svid.keyPem, svid.chainPem),
    });
    daprds.push(daprd);
    await daprd.until((d) => d.orders.some((o) => o.operation === 'unlock'), 15_000);
    // The first client of a freshly started placement: no multi-second wait for its table.
    const firstTableMs = performance.now() - connectedAt;
    process.stdout.write(`first table for the first mTLS daprd: ${firstTableMs.toFixed(0)} ms\n`);
    expect(firstTableMs).toBeLessThan(2_000);
    expect(daprd.orders.map((o) => o.operation).slice(0, 3)).toEqual(['lock', 'update', 'unlock']);
    const table = daprd.lastTable;
    expect([...(table?.entries.keys() ?? [])]).toEqual(['MyActor']);
    expect([...(table?.entries.get('MyActor')?.loadMap.keys() ?? [])]).toEqual(['10.0.0.1:50002']);

    const res = await httpRequest(`http://127.0.0.1:${ports.healthzPort}/placement/state`);
    expect(res.status).toBe(200);
    const state = JSON.parse(res.body) as {
      tables: Record<string, { hosts: { name: string; id: string; entities: string[] }[] }>;
    };
    expect(state.tables.default?.hosts).toEqual([
      expect.objectContaining({ name: '10.0.0.1:50002', id: 'myapp', entities: ['MyActor'] }),
    ]);
    const metrics = await scrape(ports.metricsPort);
    expect(metricValue(metrics, 'dapr_placement_runtimes_total{host_namespace="default"}')).toBe(1);
  }, 60_000);

  it('refuses a client whose certificate comes from another CA at TLS', async () => {
    const other = new TestPki().svid({
      trustDomain: 'cluster.local',
      namespace: 'default',
      appId: 'intruder',
    });
    const daprd = new TestDaprd({
      address: `127.0.0.1:${ports.port}`,
      name: '10.0.0.9:50002',
      id: 'intruder',
      namespace: 'default',
      entities: ['MyActor'],
      credentials: clientCredentials(other.keyPem, other.certChainPem),
    });
    daprds.push(daprd);
    const err = await daprd.closed();
    expect(err?.code).toBe(14); // UNAVAILABLE: the handshake failed, no stream was opened
    expect(daprd.orders).toEqual([]);
  }, 30_000);
});
