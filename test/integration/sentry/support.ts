// What the sentry integration tests share: our compiled sentry as a ManagedProcess against the
// test cluster, Pods and bound service-account tokens made through the real apiserver, and the
// metrics as numbers.
import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPath } from '../../../kit/testing/service-process.js';
import { httpRequest } from '../../../kit/testing/http.js';
import { createCsrPem } from '../../../kit/x509/csr-builder.js';
import { TokenValidator } from '../../../kit/proto/sentry.js';
import { SentryClient } from '../../../kit/security/sentry-client.js';
import { daprModuleDir } from '../../harness/upstream-sentry.js';
import type { TestCluster } from '../../cluster/cluster.js';
import { ManagedProcess } from '../../harness/process.js';
import { kubectl } from '../../harness/tools.js';
import { freePorts } from '../../harness/ports.js';
import { waitFor } from '../../../kit/testing/wait.js';

export const SENTRY_AUDIENCE_LEGACY = 'dapr.io/sentry';
export const SKIP_UID_CHECK = { DAPR_UNSAFE_SKIP_CONTAINER_UID_GID_CHECK: 'true' };

export function sentryId(namespace: string, trustDomain = 'cluster.local'): string {
  return `spiffe://${trustDomain}/ns/${namespace}/dapr-sentry`;
}

export interface RunningSentry {
  readonly proc: ManagedProcess;
  readonly port: number;
  readonly healthzPort: number;
  readonly metricsPort: number;
  readonly address: string;
  /** Milliseconds from spawn to /healthz 200. */
  readonly startupMs: number;
}

export interface SentryStartOptions {
  readonly cluster: TestCluster;
  /** Where the log file goes. */
  readonly dir: string;
  readonly name: string;
  readonly namespace: string;
  readonly args?: readonly string[];
  /** Reuse these ports (a restart keeps the address clients know). */
  readonly ports?: { readonly port: number; readonly healthzPort: number; readonly metricsPort: number };
}

/** Waits for /healthz 200 on `port`; fails early, with the log's tail, if the process dies. */
export function waitHealthy(
  proc: ManagedProcess,
  port: number,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  return proc.waitUntilReady(async () => (await healthz(port)) === 200, {
    what,
    timeoutMs,
    intervalMs: 50,
    logLines: 60,
  });
}

export async function healthz(port: number): Promise<number> {
  return httpRequest(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 1_000 }).then(
    (r) => r.status,
    () => 0,
  );
}

/** Starts `node dist/sentry/main.js --mode kubernetes …` and waits for /healthz 200. */
export async function startSentry(options: SentryStartOptions): Promise<RunningSentry> {
  const [port = 0, healthzPort = 0, metricsPort = 0] = options.ports
    ? [options.ports.port, options.ports.healthzPort, options.ports.metricsPort]
    : await freePorts(3);
  const started = Date.now();
  const proc = await ManagedProcess.start({
    name: options.name,
    command: process.execPath,
    args: [
      binaryPath('sentry'),
      '--mode',
      'kubernetes',
      '--trust-domain',
      'cluster.local',
      '--port',
      String(port),
      '--healthz-port',
      String(healthzPort),
      '--metrics-port',
      String(metricsPort),
      '--kubeconfig',
      options.cluster.kubeconfigPath,
      ...(options.args ?? []),
    ],
    env: { NAMESPACE: options.namespace, ...SKIP_UID_CHECK },
    logFile: join(options.dir, `${options.name}.log`),
  });
  try {
    await waitHealthy(proc, healthzPort, `${options.name} to become healthy`);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    proc,
    port,
    healthzPort,
    metricsPort,
    address: `127.0.0.1:${port}`,
    startupMs: Date.now() - started,
  };
}

/** The value of one series in a Prometheus scrape (0 when absent). */
export function metricValue(scrape: string, series: string): number {
  for (const line of scrape.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

export async function scrape(metricsPort: number): Promise<string> {
  return (await httpRequest(`http://127.0.0.1:${metricsPort}/metrics`)).body;
}

/** VmRSS of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

export interface PodSpecOptions {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Pod object (never scheduled: the test cluster has no nodes) to bind a token to. */
export async function createPod(core: CoreV1Api, options: PodSpecOptions): Promise<V1Pod> {
  return core.createNamespacedPod({
    namespace: options.namespace,
    body: {
      metadata: { name: options.name, annotations: { ...options.annotations } },
      spec: {
        serviceAccountName: options.serviceAccount,
        containers: [{ name: 'app', image: 'dapr-ts/test-app:dev' }],
      },
    },
  });
}

export async function ensureNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
}

export async function ensureServiceAccount(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  if (name === 'default') {
    await waitFor(() => core.readNamespacedServiceAccount({ namespace, name }), {
      what: `the default service account in ${namespace}`,
    });
    return;
  }
  await core
    .createNamespacedServiceAccount({ namespace, body: { metadata: { name } } })
    .catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
}

/** A TokenRequest token for the pod's service account, bound to the pod (as a projected volume's). */
export async function podToken(core: CoreV1Api, pod: V1Pod, audiences: readonly string[]): Promise<string> {
  const tr = await core.createNamespacedServiceAccountToken({
    namespace: pod.metadata!.namespace!,
    name: pod.spec!.serviceAccountName!,
    body: {
      spec: {
        audiences: [...audiences],
        expirationSeconds: 3600,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid! },
      },
    },
  });
  const token = tr.status?.token;
  if (token === undefined) throw new Error('TokenRequest returned no token');
  return token;
}

export function coreApi(cluster: TestCluster): CoreV1Api {
  return cluster.kubeConfig.makeApiClient(CoreV1Api);
}

export interface WorkloadSvidRequest {
  readonly core: CoreV1Api;
  /** Our sentry's gRPC address and the anchors it serves under. */
  readonly sentryAddress: string;
  readonly trustAnchorsPem: Buffer;
  /** The control-plane namespace sentry runs in (its SPIFFE id and token audience). */
  readonly sentryNamespace: string;
  readonly appId: string;
  readonly namespace: string;
  /** The Pod's annotations besides dapr.io/app-id. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** daprd 1.18 sends Ed25519 CSRs; P-256 is what older sidecars send. */
  readonly keyType?: 'ed25519' | 'p256';
  /** The Pod the token is bound to; default: a Pod `<app-id>-pod` made (once) for it. */
  readonly pod?: V1Pod;
}

export interface WorkloadSvid {
  readonly keyPem: Buffer;
  readonly chainPem: Buffer;
}

/**
 * A daprd SVID from our sentry, obtained exactly as daprd obtains it: the Pod it would run in
 * (created once, reused), a token bound to that Pod, a fresh key and its CSR.
 */
export async function workloadSvid(r: WorkloadSvidRequest): Promise<WorkloadSvid> {
  const { core, namespace, appId } = r;
  const pod = r.pod ?? (await podFor(core, namespace, appId, r.annotations));
  const token = await podToken(core, pod, [sentryId(r.sentryNamespace)]);
  const { privateKey } =
    r.keyType === 'p256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519');
  const client = new SentryClient({
    address: r.sentryAddress,
    trustAnchorsPem: r.trustAnchorsPem,
    sentryId: sentryId(r.sentryNamespace),
  });
  try {
    const res = await client.signCertificate({
      id: appId,
      namespace,
      trustDomain: '',
      token,
      tokenValidator: TokenValidator.KUBERNETES,
      certificateSigningRequest: createCsrPem(privateKey),
      jwtAudiences: [],
    });
    return {
      keyPem: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
      chainPem: res.workloadCertificate,
    };
  } finally {
    client.close();
  }
}

async function podFor(
  core: CoreV1Api,
  namespace: string,
  appId: string,
  annotations: Readonly<Record<string, string>> = {},
): Promise<V1Pod> {
  await ensureNamespace(core, namespace);
  await ensureServiceAccount(core, namespace, 'default');
  const name = `${appId}-pod`;
  return createPod(core, {
    namespace,
    name,
    serviceAccount: 'default',
    annotations: { 'dapr.io/app-id': appId, ...annotations },
  }).catch(async (err: { code?: number }) => {
    if (err.code !== 409) throw err;
    return core.readNamespacedPod({ namespace, name });
  });
}

/** Dapr's CRDs, applied with kubectl from the v1.18.3 Go module (nothing from it is committed). */
export async function installDaprCrds(cluster: TestCluster): Promise<void> {
  const dir = join(daprModuleDir(), 'charts', 'dapr', 'crds');
  const applied = await kubectl(['create', '-f', dir], { kubeconfig: cluster.kubeconfigPath });
  if (applied.code !== 0) throw new Error(`kubectl create -f ${dir} failed: ${applied.stderr}`);
  const waited = await kubectl(['wait', '--for=condition=Established', '--timeout=60s', '-f', dir], {
    kubeconfig: cluster.kubeconfigPath,
  });
  if (waited.code !== 0) throw new Error(`Dapr's CRDs were not established: ${waited.stderr}`);
}

export interface DaprSystemMtls {
  /** Where the control plane reaches sentry (the chart: dapr-sentry.<ns>.svc:443). */
  readonly sentryAddress: string;
  readonly workloadCertTTL?: string;
  readonly allowedClockSkew?: string;
}

/** The `daprsystem` Configuration (mTLS on, trust domain cluster.local) that sentry and the services read. */
export async function createDaprSystemConfiguration(
  cluster: TestCluster,
  namespace: string,
  mtls: DaprSystemMtls,
): Promise<void> {
  await cluster.kubeConfig.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'dapr.io',
    version: 'v1alpha1',
    namespace,
    plural: 'configurations',
    body: {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Configuration',
      metadata: { name: 'daprsystem' },
      spec: {
        mtls: {
          enabled: true,
          workloadCertTTL: mtls.workloadCertTTL ?? '24h',
          allowedClockSkew: mtls.allowedClockSkew ?? '15m',
          controlPlaneTrustDomain: 'cluster.local',
          sentryAddress: mtls.sentryAddress,
        },
      },
    },
  });
}

/**
 * The trust anchors sentry published in ConfigMap dapr-trust-bundle (waited for), also written
 * to `<dir>/ca.crt` as the chart mounts them for the services.
 */
export async function trustBundle(
  core: CoreV1Api,
  namespace: string,
  dir: string,
): Promise<{ readonly anchors: Buffer; readonly anchorsFile: string }> {
  const pem = await waitFor(
    async () =>
      (await core.readNamespacedConfigMap({ namespace, name: 'dapr-trust-bundle' })).data?.['ca.crt'] ||
      undefined,
    { what: 'the trust bundle' },
  );
  const anchors = Buffer.from(pem);
  const anchorsFile = join(dir, 'ca.crt');
  writeFileSync(anchorsFile, anchors);
  return { anchors, anchorsFile };
}

export interface ControlPlanePodOptions {
  readonly namespace: string;
  /** The `dapr.io/control-plane` annotation (sentry's validator checks it): injector, operator, … */
  readonly service: string;
  readonly serviceAccount: string;
  /** Default `dapr-<service>-0`. */
  readonly podName?: string;
}

/**
 * A control-plane Pod object and a sentry-audience token bound to it, written to
 * `<dir>/<service>.token` as the chart's projected volume holds it; returns the file's path.
 */
export async function controlPlaneTokenFile(
  core: CoreV1Api,
  dir: string,
  options: ControlPlanePodOptions,
): Promise<string> {
  const { namespace, service, serviceAccount } = options;
  await ensureServiceAccount(core, namespace, serviceAccount);
  const pod = await createPod(core, {
    namespace,
    name: options.podName ?? `dapr-${service}-0`,
    serviceAccount,
    annotations: { 'dapr.io/control-plane': service },
  });
  const path = join(dir, `${service}.token`);
  writeFileSync(path, await podToken(core, pod, [sentryId(namespace)]));
  return path;
}
