// Our compiled sentry as a test's process against the test cluster, and what the other services'
// tests take from it: the trust bundle it publishes and control-plane tokens for its validator.
import type { CoreV1Api } from '@kubernetes/client-node';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binaryPath, portFlags } from '../../kit/testing/service-binary.js';
import { waitFor } from '../../kit/testing/wait.js';
import type { TestCluster } from '../cluster/cluster.js';
import { createPod, ensureServiceAccount, podToken } from './kube-objects.js';
import { freePorts } from './ports.js';
import { ManagedProcess } from '../../kit/testing/managed-process.js';
import { waitHealthy } from '../../kit/testing/service-binary.js';

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
      ...portFlags({ port, healthzPort, metricsPort }),
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
