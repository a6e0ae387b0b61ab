// Objects the integration tests make through the real apiserver: namespaces, service accounts,
// Pods (never scheduled) and tokens bound to them, Dapr's CRDs and the daprsystem Configuration.
import { CoreV1Api, CustomObjectsApi, type V1Pod } from '@kubernetes/client-node';
import { join } from 'node:path';
import { waitFor } from '../../kit/testing/wait.js';
import type { TestCluster } from '../cluster/cluster.js';
import { kubectl } from './tools.js';
import { daprModuleDir } from './upstream-sentry.js';

export function coreApi(cluster: TestCluster): CoreV1Api {
  return cluster.kubeConfig.makeApiClient(CoreV1Api);
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
