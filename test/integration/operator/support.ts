// What the operator integration tests and bench/operator share: a real apiserver with Dapr's
// CRDs (crds/), our sentry, the daprsystem Configuration, tokens and SVIDs it issues,
// our operator and upstream's Go operator as processes, and a test-only Subscription conversion
// webhook so that objects can be written at v1alpha1 (the real one is operator/conversion's).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { KubeClient, isConflict } from '../../../kit/kubernetes/client.js';
import { loadKubeConnection } from '../../../kit/kubernetes/config.js';
import { binaryPath, portFlags } from '../../../kit/testing/service-binary.js';
import type { DaprdIdentity } from '../../../operator/testing/daprd-client.js';
import type { TestCluster } from '../../cluster/cluster.js';
import { daprBinDir } from '../../deps/paths.js';
import { ManagedProcess } from '../../../kit/testing/managed-process.js';
import { freePorts } from '../../harness/ports.js';
import { kubectl } from '../../harness/tools.js';
import { coreApi, createDaprSystemConfiguration, ensureNamespace } from '../../harness/kube-objects.js';
import {
  controlPlaneTokenFile,
  type RunningSentry,
  SKIP_UID_CHECK,
  startSentry,
  trustBundle,
} from '../../harness/sentry-in-cluster.js';
import { waitHealthy } from '../../../kit/testing/service-binary.js';
import { workloadSvid } from '../../harness/workload-svid.js';

export const CP_NS = 'dapr-system';
export const OPERATOR_ID = `spiffe://cluster.local/ns/${CP_NS}/dapr-operator`;

const repoRoot = join(import.meta.dirname, '..', '..', '..', '..');
/** The project's dapr.io CRDs (full schemas, so test objects are validated and pruned as in a cluster). */
const CRDS = join(repoRoot, 'crds');

export interface ControlPlane {
  readonly cluster: TestCluster;
  readonly kube: KubeClient;
  readonly sentry: RunningSentry;
  readonly anchors: Buffer;
  readonly anchorsFile: string;
  readonly dir: string;
  /** A token file for an operator pod (dapr.io/control-plane: operator). */
  readonly operatorTokenFile: string;
  readonly webhook: Server;
}

/** Dapr's CRDs, a Subscription conversion webhook, daprsystem, sentry, and an operator token. */
export async function startControlPlane(cluster: TestCluster, dir: string): Promise<ControlPlane> {
  const core = coreApi(cluster);
  const kube = new KubeClient(await loadKubeConnection({ kubeconfig: cluster.kubeconfigPath, env: {} }));
  await ensureNamespace(core, CP_NS);
  const applied = await kubectl(['apply', '-f', CRDS], { kubeconfig: cluster.kubeconfigPath });
  if (applied.code !== 0) throw new Error(`kubectl apply ${CRDS}: ${applied.stderr}`);
  const waited = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', CRDS], {
    kubeconfig: cluster.kubeconfigPath,
  });
  if (waited.code !== 0) throw new Error(`CRDs not established: ${waited.stderr}`);
  const webhook = await startConversionWebhook(cluster.kubeconfigPath, dir);

  const [port = 0, healthzPort = 0, metricsPort = 0] = await freePorts(3);
  await createDaprSystemConfiguration(cluster, CP_NS, { sentryAddress: `127.0.0.1:${port}` });
  const sentry = await startSentry({
    cluster,
    dir,
    name: 'sentry',
    namespace: CP_NS,
    ports: { port, healthzPort, metricsPort },
  });
  const { anchors, anchorsFile } = await trustBundle(core, CP_NS, dir);
  const operatorTokenFile = await controlPlaneTokenFile(core, dir, {
    namespace: CP_NS,
    service: 'operator',
    serviceAccount: 'dapr-operator',
  });
  return { cluster, kube, sentry, anchors, anchorsFile, dir, operatorTokenFile, webhook };
}

export async function stopControlPlane(cp: ControlPlane | undefined): Promise<void> {
  if (cp === undefined) return;
  await cp.sentry.proc.stop();
  // close() waits for every open connection, and the apiserver keeps its connection to the
  // webhook alive as long as it runs: drop the connections once close() has stopped accepting.
  const closed = new Promise<void>((resolve) => cp.webhook.close(() => resolve()));
  cp.webhook.closeAllConnections();
  await closed;
  cp.kube.close();
}

/**
 * A test stand-in for the operator's conversion webhook (route ↔ routes.default), served on
 * loopback with a throwaway certificate; the CRD is pointed at it by URL.
 */
async function startConversionWebhook(kubeconfig: string, dir: string): Promise<Server> {
  const key = join(dir, 'webhook.key');
  const cert = join(dir, 'webhook.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString()) as {
        request: { uid: string; desiredAPIVersion: string; objects: Record<string, unknown>[] };
      };
      const to = review.request.desiredAPIVersion;
      const converted = review.request.objects.map((o) => {
        const spec = { ...(o.spec as Record<string, unknown>) };
        if (to.endsWith('/v2alpha1') && 'route' in spec) {
          spec.routes = { default: spec.route };
          delete spec.route;
        } else if (to.endsWith('/v1alpha1') && 'routes' in spec) {
          spec.route = (spec.routes as { default?: string }).default ?? '';
          delete spec.routes;
        }
        return { ...o, apiVersion: to, spec };
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'ConversionReview',
          response: { uid: review.request.uid, convertedObjects: converted, result: { status: 'Success' } },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const patch = JSON.stringify([
    {
      op: 'replace',
      path: '/spec/conversion/webhook/clientConfig',
      value: { url: `https://127.0.0.1:${port}/convert`, caBundle: readFileSync(cert).toString('base64') },
    },
  ]);
  const patched = await kubectl(['patch', 'crd', 'subscriptions.dapr.io', '--type=json', '-p', patch], {
    kubeconfig,
  });
  if (patched.code !== 0) throw new Error(`patching the Subscription CRD failed: ${patched.stderr}`);
  return server;
}

export interface OperatorProcess {
  readonly proc: ManagedProcess;
  readonly port: number;
  readonly healthzPort: number;
  readonly metricsPort: number;
  readonly address: string;
}

/** Our operator (node dist/operator/main.js) or upstream's, with the same arguments. */
export async function startOperator(
  cp: ControlPlane,
  which: 'ts' | 'go',
  extraArgs: readonly string[] = [],
): Promise<OperatorProcess> {
  const [port = 0, healthzPort = 0, metricsPort = 0, webhookPort = 0] = await freePorts(4);
  const args = [
    '--trust-anchors-file',
    cp.anchorsFile,
    ...portFlags({ port, healthzPort, metricsPort }),
    '--webhook-server-port',
    String(webhookPort),
    '--disable-leader-election',
    '--disable-service-reconciler',
    '--log-level',
    'debug',
    ...extraArgs,
  ];
  const name = `${which}-operator`;
  mkdirSync(cp.dir, { recursive: true });
  const proc = await ManagedProcess.start({
    name,
    command: which === 'ts' ? process.execPath : join(daprBinDir(), 'operator'),
    args:
      which === 'ts' ? [binaryPath('operator'), '--kubeconfig', cp.cluster.kubeconfigPath, ...args] : args,
    env: {
      NAMESPACE: CP_NS,
      KUBECONFIG: cp.cluster.kubeconfigPath,
      DAPR_SENTRY_TOKEN_FILE: cp.operatorTokenFile,
      ENABLE_WEBHOOKS: 'false',
      ...SKIP_UID_CHECK,
    },
    logFile: join(cp.dir, `${name}.log`),
  });
  try {
    await waitHealthy(proc, healthzPort, `${name} to become healthy`, 90_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { proc, port, healthzPort, metricsPort, address: `127.0.0.1:${port}` };
}

/**
 * A daprd SVID from our sentry for `appId` in `namespace`: the Pod daprd would run in (with the
 * given annotations), a bound token, a fresh key. Returns what the daprd-style client needs.
 */
export async function daprdIdentity(
  cp: ControlPlane,
  namespace: string,
  appId: string,
  annotations: Readonly<Record<string, string>> = {},
): Promise<DaprdIdentity> {
  const svid = await workloadSvid({
    core: coreApi(cp.cluster),
    sentryAddress: cp.sentry.address,
    trustAnchorsPem: cp.anchors,
    sentryNamespace: CP_NS,
    appId,
    namespace,
    annotations: { 'dapr.io/enabled': 'true', ...annotations },
    keyType: 'p256',
  });
  return { ...svid, trustAnchorsPem: cp.anchors };
}

/** Creates (or replaces) a namespaced object through the API; resolves with the stored object. */
export async function apply(
  kube: KubeClient,
  object: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const { apiVersion, kind } = object as { apiVersion: string; kind: string };
  const meta = object.metadata as { name: string; namespace: string };
  const plural = kind === 'Secret' ? 'secrets' : PLURALS[kind];
  if (plural === undefined) throw new Error(`no plural for ${kind}`);
  const base = apiVersion === 'v1' ? '/api/v1' : `/apis/${apiVersion}`;
  const collection = `${base}/namespaces/${meta.namespace}/${plural}`;
  try {
    return await kube.request(collection, { method: 'POST', body: object });
  } catch (err) {
    if (!isConflict(err)) throw err;
    const current = await kube.request<{ metadata: { resourceVersion: string } }>(
      `${collection}/${meta.name}`,
    );
    return kube.request(`${collection}/${meta.name}`, {
      method: 'PUT',
      body: { ...object, metadata: { ...meta, resourceVersion: current.metadata.resourceVersion } },
    });
  }
}

/** Deletes a namespaced object: `ref` is {apiVersion, kind, metadata: {namespace, name}}. */
export async function remove(
  kube: KubeClient,
  ref: { apiVersion: string; kind: string; metadata: { namespace: string; name: string } },
): Promise<void> {
  const base = ref.apiVersion === 'v1' ? '/api/v1' : `/apis/${ref.apiVersion}`;
  const plural = PLURALS[ref.kind];
  if (plural === undefined) throw new Error(`no plural for ${ref.kind}`);
  await kube.request(`${base}/namespaces/${ref.metadata.namespace}/${plural}/${ref.metadata.name}`, {
    method: 'DELETE',
  });
}

const PLURALS: Readonly<Record<string, string>> = {
  Component: 'components',
  Configuration: 'configurations',
  Subscription: 'subscriptions',
  Resiliency: 'resiliencies',
  HTTPEndpoint: 'httpendpoints',
  MCPServer: 'mcpservers',
  WorkflowAccessPolicy: 'workflowaccesspolicies',
  Secret: 'secrets',
  Pod: 'pods',
};
