// docs/all-in-one.md: the all-in-one process against a real apiserver. One process, one /healthz
// (200 only once every service's targets are ready), and each service on its own port with its
// own identity from the in-process sentry: sentry signs a daprd CSR over gRPC, placement and the
// operator serve mTLS as dapr-placement and dapr-operator, the injector answers an AdmissionReview
// as dapr-sidecar-injector.<ns>.svc, the operator's Service reconciler creates `<app-id>-dapr`;
// the four services' metrics come from the one exporter, with the Node process metrics once;
// the apiserver (its audit log) sees one watch per collection, however many services read it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AdmissionregistrationV1Api, AppsV1Api } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type PeerCertificate } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runId } from '../../../kit/testing/managed-process.js';
import { healthz } from '../../../kit/testing/service-binary.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { checkServerSpiffeId } from '../../../kit/security/sentry-client.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import {
  allInOnePorts,
  startAllInOne,
  type AllInOnePorts,
  type RunningAllInOne,
} from '../../harness/all-in-one.js';
import {
  coreApi,
  createDaprSystemConfiguration,
  ensureNamespace,
  installDaprCrds,
} from '../../harness/kube-objects.js';
import { trustBundle } from '../../harness/sentry-in-cluster.js';
import { scrape } from '../../harness/service-probes.js';
import { openWatches } from '../../harness/watch-audit.js';
import { workloadSvid, type WorkloadSvid } from '../../harness/workload-svid.js';
import { AdmissionClient, podReview, webhookConfiguration } from '../injector/support.js';

const CP_NS = 'dapr-system';
const APP_NS = 'team';
const id = (app: string): string => `spiffe://cluster.local/ns/${CP_NS}/${app}`;

/** The server's certificate on `port`, over TLS with a daprd SVID as the client certificate. */
function peerCertificate(port: number, svid: WorkloadSvid, anchors: Buffer): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: anchors,
      key: svid.keyPem,
      cert: svid.chainPem,
      ALPNProtocols: ['h2'],
      servername: 'localhost',
      checkServerIdentity: () => undefined,
    });
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

describe('all-in-one: sentry, placement, operator and injector in one process', () => {
  let cluster: TestCluster;
  let dir: string;
  let ports: AllInOnePorts;
  let running: RunningAllInOne | undefined;
  let anchors: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-all-in-one-`));
    cluster = await startTestCluster({ auditWatches: true });
    const core = coreApi(cluster);
    for (const ns of [CP_NS, APP_NS]) await ensureNamespace(core, ns);
    await installDaprCrds(cluster);
    ports = await allInOnePorts();
    await createDaprSystemConfiguration(cluster, CP_NS, { sentryAddress: `127.0.0.1:${ports.sentry}` });
    await cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
      body: webhookConfiguration({ namespace: CP_NS, name: 'dapr-sidecar-injector' }),
    });
    // In a folder of its own: the providers watch the anchors' folder, which must not be the log's.
    const tlsDir = join(dir, 'tls');
    mkdirSync(tlsDir);
    const anchorsFile = join(tlsDir, 'ca.crt');
    // The services read the anchors from the file the chart mounts from dapr-trust-bundle, which
    // the in-process sentry publishes: written here once it has, while the process waits for it.
    running = await startAllInOne({ cluster, dir, namespace: CP_NS, anchorsFile, ports, waitHealthy: false });
    try {
      ({ anchors } = await trustBundle(core, CP_NS, tlsDir));
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${running.proc.logTail(60)}`, { cause: err });
    }
    await running.proc.waitUntilReady(async () => (await healthz(ports.healthz)) === 200, {
      what: 'the all-in-one process to become healthy',
      timeoutMs: 90_000,
      intervalMs: 100,
      logLines: 80,
    });
  }, 240_000);

  afterAll(async () => {
    await running?.proc.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('is healthy, each service logging under its own scope with an SVID of its own', async () => {
    expect(await healthz(ports.healthz)).toBe(200);
    const log = running!.proc.output;
    for (const scope of ['dapr.sentry', 'dapr.placement', 'dapr.operator', 'dapr.injector'])
      expect(log).toContain(scope);
    // Each of the three SVIDs came from the in-process sentry, under its own id.
    for (const app of ['dapr-placement', 'dapr-operator', 'dapr-injector'])
      expect(log).toContain(`Successfully received SVID ${id(app)}`);
  });

  it('each service answers on its own port, under its own identity', async () => {
    const svid = await workloadSvid({
      core: coreApi(cluster),
      sentryAddress: `127.0.0.1:${ports.sentry}`,
      trustAnchorsPem: anchors,
      sentryNamespace: CP_NS,
      appId: 'orders',
      namespace: APP_NS,
    });
    expect(svid.chainPem.toString()).toContain('BEGIN CERTIFICATE');
    expect(
      checkServerSpiffeId(await peerCertificate(ports.placement, svid, anchors), id('dapr-placement')),
    ).toBe(undefined);
    expect(
      checkServerSpiffeId(await peerCertificate(ports.operator, svid, anchors), id('dapr-operator')),
    ).toBe(undefined);

    const admission = new AdmissionClient(ports.injector, anchors);
    try {
      const pod = {
        metadata: {
          name: 'orders',
          namespace: APP_NS,
          annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'orders' },
        },
        spec: { containers: [{ name: 'app', image: 'registry.example/orders:1' }] },
      };
      const answer = await admission.post(podReview('review-1', pod, { namespace: APP_NS }));
      expect(answer.status).toBe(200);
      const response = (JSON.parse(answer.body) as { response: { allowed: boolean; patch?: string } })
        .response;
      expect(response.allowed).toBe(true);
      expect(Buffer.from(response.patch ?? '', 'base64').toString()).toContain('daprd');
    } finally {
      admission.close();
    }
  });

  it("the operator's reconciler and the four services' metrics on one exporter", async () => {
    await cluster.kubeConfig.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: APP_NS,
      body: {
        metadata: { name: 'orders' },
        spec: {
          selector: { matchLabels: { app: 'orders' } },
          template: {
            metadata: {
              labels: { app: 'orders' },
              annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'orders' },
            },
            spec: { containers: [{ name: 'app', image: 'registry.example/orders:1' }] },
          },
        },
      },
    });
    await waitFor(
      async () =>
        (await coreApi(cluster)
          .readNamespacedService({ namespace: APP_NS, name: 'orders-dapr' })
          .catch(() => undefined)) ?? undefined,
      { what: 'the orders-dapr Service', timeoutMs: 60_000 },
    );
    const text = await waitFor(
      async () => {
        const t = await scrape(ports.metrics);
        return t.includes('dapr_operator_service_created_total') ? t : undefined;
      },
      { what: "the operator's metric", timeoutMs: 30_000 },
    );
    for (const series of [
      'dapr_sentry_cert_sign_request_received_total',
      'dapr_sentry_cert_sign_success_total',
      'dapr_placement_leader_status',
      'dapr_operator_service_created_total',
      'dapr_injector_sidecar_injection_requests_total',
      'dapr_injector_sidecar_injection_succeeded_total',
    ])
      expect(text).toContain(`# TYPE ${series}`);
    // One registry: the Node process metrics and the Go-named gauges appear once.
    expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE go_goroutines /gm)).toHaveLength(1);
  });

  it('watches each collection once: pods and Components are shared by the services that read them', async () => {
    // The detector and the reconciler (leader only) are the last to subscribe.
    for (const line of ['Starting the missing-sidecar detector', 'Starting the Service reconciler'])
      await waitFor(() => running!.proc.output.includes(line), { what: line, timeoutMs: 60_000 });
    const expected = [
      // sentry's pod cache, the operator's informer and its missing-sidecar detector
      '/api/v1/pods',
      // the operator's informer and the injector's Component cache
      '/apis/dapr.io/v1alpha1/components',
      // the reconciler and the detector
      '/apis/apps/v1/deployments',
      '/apis/apps/v1/statefulsets',
      '/apis/apps/v1/daemonsets',
      '/api/v1/services?labelSelector=dapr.io/enabled=true',
      '/apis/dapr.io/v1alpha1/configurations',
    ];
    // A subscriber that joins closes the watch and opens a new one: wait until that has settled.
    let open = new Map<string, number>();
    await waitFor(
      () => {
        open = openWatches(cluster.auditLog!, 'dapr-all-in-one');
        return expected.every((c) => open.has(c)) && [...open.values()].every((count) => count === 1);
      },
      { what: 'one open watch per collection', timeoutMs: 30_000 },
    ).catch(() => undefined); // the assertions below show what was open
    for (const collection of expected) expect([collection, open.get(collection)]).toEqual([collection, 1]);
    expect([...open].filter(([, count]) => count !== 1)).toEqual([]);
  });
});
