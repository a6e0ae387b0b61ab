// What the injector integration tests and bench/injector share: a control plane around the
// webhook (test cluster, Dapr's CRDs, our sentry, the MutatingWebhookConfiguration), our
// injector and upstream's Go injector started the same way, and an HTTPS AdmissionReview client
// that verifies the serving certificate as the apiserver does (the trust anchors as CA, the
// Service DNS name).
import { CoreV1Api, AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { binaryPath } from '../../../kit/testing/service-binary.js';
import { CHART_ENV } from '../../../sidecar-injector/patcher/testing/fixtures.js';
import type { TestCluster } from '../../cluster/cluster.js';
import { daprBinDir } from '../../deps/paths.js';
import { ManagedProcess } from '../../../kit/testing/managed-process.js';
import { freePorts } from '../../harness/ports.js';
import {
  createDaprSystemConfiguration,
  ensureNamespace,
  installDaprCrds,
} from '../../harness/kube-objects.js';
import {
  controlPlaneTokenFile,
  type RunningSentry,
  SKIP_UID_CHECK,
  startSentry,
  trustBundle,
} from '../../harness/sentry-in-cluster.js';
import { waitHealthy } from '../../../kit/testing/service-binary.js';

export const CONTROL_PLANE_NS = 'dapr-system';
export const INJECTOR_DNS_NAME = `dapr-sidecar-injector.${CONTROL_PLANE_NS}.svc`;
export const WEBHOOK_NAME = 'dapr-sidecar-injector';

/** The chart's MutatingWebhookConfiguration (docs/contracts/injector-and-chart.md §1.1), without a caBundle: the injector adds it. */
export function webhookConfiguration(service: { namespace: string; name: string; port?: number }): object {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_NAME, labels: { app: 'dapr-sidecar-injector' } },
    webhooks: [
      {
        name: 'sidecar-injector.dapr.io',
        clientConfig: { service: { ...service, path: '/mutate' } },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1', 'v1beta1'],
        reinvocationPolicy: 'IfNeeded',
      },
    ],
  };
}

export interface InjectorControlPlane {
  readonly sentry: RunningSentry;
  /** The trust-anchor PEM file, as the chart mounts ConfigMap dapr-trust-bundle. */
  readonly anchorsFile: string;
  /** A projected-style token for the injector pod (audience: sentry's SPIFFE id). */
  readonly tokenFile: string;
}

/**
 * Our sentry in dapr-system with daprsystem (mTLS on), the webhook configuration, and the
 * injector's control-plane Pod (annotation dapr.io/control-plane: injector) with a token bound to it.
 */
export async function startInjectorControlPlane(
  cluster: TestCluster,
  dir: string,
  webhookService: { namespace: string; name: string; port?: number },
): Promise<InjectorControlPlane> {
  const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  await ensureNamespace(core, CONTROL_PLANE_NS);
  await installDaprCrds(cluster);
  const [port = 0, healthzPort = 0, metricsPort = 0] = await freePorts(3);
  await createDaprSystemConfiguration(cluster, CONTROL_PLANE_NS, { sentryAddress: `127.0.0.1:${port}` });
  await cluster.kubeConfig
    .makeApiClient(AdmissionregistrationV1Api)
    .createMutatingWebhookConfiguration({ body: webhookConfiguration(webhookService) });
  const sentry = await startSentry({
    cluster,
    dir,
    name: 'sentry',
    namespace: CONTROL_PLANE_NS,
    ports: { port, healthzPort, metricsPort },
  });
  const tokenFile = await controlPlaneTokenFile(core, dir, {
    namespace: CONTROL_PLANE_NS,
    service: 'injector',
    serviceAccount: 'dapr-injector',
    podName: 'dapr-sidecar-injector-0',
  });
  const { anchorsFile } = await trustBundle(core, CONTROL_PLANE_NS, dir);
  return { sentry, anchorsFile, tokenFile };
}

export type InjectorKind = 'ours' | 'go';

export interface RunningInjector {
  readonly kind: InjectorKind;
  readonly proc: ManagedProcess;
  readonly port: number;
  readonly healthzPort: number;
  readonly metricsPort: number;
}

/**
 * Starts an injector as the chart runs it, in a private mount namespace where the token sits at
 * /var/run/secrets/dapr.io/sentrytoken/token: both injectors give daprd the token volume only
 * when that file exists (as in a pod), and the host's /run is left untouched.
 */
export interface InjectorVariant {
  /** Distinguishes log files when several injectors of a kind run (default: the kind). */
  readonly name?: string;
  /** Injector env on top of the chart's defaults. */
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
}

// eslint-disable-next-line max-params -- the four things every start needs, plus the variant
export async function startInjector(
  kind: InjectorKind,
  cluster: TestCluster,
  plane: InjectorControlPlane,
  dir: string,
  variant: InjectorVariant = {},
): Promise<RunningInjector> {
  const name = variant.name ?? kind;
  const [port = 0, healthzPort = 0, metricsPort = 0] = await freePorts(3);
  const flags = [
    ...['--port', String(port), '--healthz-port', String(healthzPort), '--metrics-port', String(metricsPort)],
    // Go's injector exports --kubeconfig (default ~/.kube/config) as KUBECONFIG itself.
    ...['--kubeconfig', cluster.kubeconfigPath],
    ...(variant.args ?? []),
  ];
  const command =
    kind === 'go'
      ? [join(daprBinDir(), 'injector'), ...flags]
      : [process.execPath, binaryPath('sidecar-injector'), ...flags];
  const tokenDir = join(dir, `${name}-token`);
  mkdirSync(tokenDir, { recursive: true });
  writeFileSync(join(tokenDir, 'token'), readFileSync(plane.tokenFile));
  const script =
    'mount -t tmpfs tmpfs /run && mkdir -p /run/secrets/dapr.io/sentrytoken && ' +
    `cp "${join(tokenDir, 'token')}" /run/secrets/dapr.io/sentrytoken/token && exec "$@"`;
  const proc = await ManagedProcess.start({
    name: `${name}-injector`,
    command: 'unshare',
    args: ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', ...command],
    env: {
      ...CHART_ENV,
      NAMESPACE: CONTROL_PLANE_NS,
      KUBECONFIG: cluster.kubeconfigPath,
      DAPR_TRUST_ANCHORS_FILE: plane.anchorsFile,
      DAPR_SENTRY_ADDRESS: plane.sentry.address,
      ...SKIP_UID_CHECK,
      ...variant.env,
    },
    logFile: join(dir, `${name}-injector.log`),
  });
  try {
    await waitHealthy(proc, healthzPort, `the ${name} injector to become healthy`, 60_000);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { kind, proc, port, healthzPort, metricsPort };
}

export interface ReviewAnswer {
  readonly status: number;
  readonly body: string;
}

/** POSTs AdmissionReviews over HTTPS, verifying the server as the apiserver does. */
export class AdmissionClient {
  readonly #agent: Agent;

  constructor(
    readonly port: number,
    anchorsPem: Buffer,
    maxSockets = 64,
  ) {
    this.#agent = new Agent({ keepAlive: true, ca: anchorsPem, servername: INJECTOR_DNS_NAME, maxSockets });
  }

  post(body: string, contentType = 'application/json'): Promise<ReviewAnswer> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: '/mutate',
          method: 'POST',
          agent: this.#agent,
          servername: INJECTOR_DNS_NAME,
          headers: { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export interface ReviewUser {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
}

export const REPLICASET_CONTROLLER: ReviewUser = {
  username: 'system:serviceaccount:kube-system:replicaset-controller',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
};

/** An AdmissionReview v1 for creating `pod`, as the apiserver sends it. */
export function podReview(
  uid: string,
  pod: object,
  options: { namespace?: string; user?: ReviewUser; kind?: string } = {},
): string {
  const kind = options.kind ?? 'Pod';
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: kind === 'Pod' ? 'pods' : 'other' },
      requestKind: { group: '', version: 'v1', kind },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      namespace: options.namespace ?? 'default',
      operation: 'CREATE',
      userInfo: options.user ?? REPLICASET_CONTROLLER,
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
}
