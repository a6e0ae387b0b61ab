// Installs our control plane into the local cluster the way a user does on a real one
// (`helm install dapr ./charts/dapr -n dapr-system --create-namespace`), with Pod Security
// `restricted` enforced on dapr-system and the apps' namespaces, and waits until every
// workload's pods are Ready, reporting each as it gets there.
import { join } from 'node:path';
import { repoRoot } from '../deps/paths.js';
import type { TestEnvironment } from '../harness/environment.js';
import { isPodReady, livePods } from '../harness/pods.js';
import { enforceRestricted } from '../harness/pod-security.js';
import type { Helm } from '../harness/tools.js';
import { waitFor } from '../../kit/testing/wait.js';

export const CONTROL_PLANE_NAMESPACE = 'dapr-system';

/**
 * The local cluster has no volume provisioner, so the scheduler keeps its etcd in memory; every
 * other value is the chart's default.
 */
export const LOCAL_INSTALL_SETS = ['dapr_scheduler.cluster.inMemoryStorage=true'];

export interface InstallOptions {
  /** More `--set key=value` values, e.g. `dapr_placement.ha=true`. */
  readonly sets?: readonly string[];
  /** Replicas to wait for by `app` label, where the sets change the chart's default. */
  readonly replicas?: Readonly<Record<string, number>>;
  /** Where the apps run: Pod Security `restricted` is enforced there too (default: `default`). */
  readonly appNamespaces?: readonly string[];
}

/**
 * The chart's all-in-one mode with `replicas` replicas: one StatefulSet dapr-control-plane in
 * place of the four services' workloads (docs/all-in-one.md).
 */
export function allInOneInstall(replicas: number): InstallOptions {
  return {
    sets: ['global.allInOne.enabled=true', `global.allInOne.replicaCount=${replicas}`],
    replicas: {
      'dapr-sentry': 0,
      'dapr-operator': 0,
      'dapr-sidecar-injector': 0,
      'dapr-placement-server': 0,
      'dapr-control-plane': replicas,
    },
  };
}

/** Workloads of a default install, by their `app` label, with their replica counts. */
function workloads(opts: InstallOptions): Array<[string, number]> {
  const defaults: Record<string, number> = {
    'dapr-sentry': 1,
    'dapr-operator': 1,
    'dapr-sidecar-injector': 1,
    'dapr-placement-server': 1,
    'dapr-scheduler-server': 3,
  };
  return Object.entries({ ...defaults, ...opts.replicas }).filter(([, n]) => n > 0);
}

export async function installControlPlane(
  env: TestEnvironment,
  helm: Helm,
  say: (msg: string) => void,
  opts: InstallOptions = {},
): Promise<void> {
  // Pod Security `restricted` on the control plane's and the apps' namespaces, as OpenShift
  // and hardened clusters enforce it: the chart's defaults must pass it.
  for (const ns of [CONTROL_PLANE_NAMESPACE, ...(opts.appNamespaces ?? ['default'])])
    await enforceRestricted((a) => env.kubectl(a), ns);
  const args = ['install', 'dapr', join(repoRoot, 'charts', 'dapr'), '--namespace', CONTROL_PLANE_NAMESPACE];
  const sets = [...LOCAL_INSTALL_SETS, ...(opts.sets ?? [])];
  args.push('--create-namespace', ...sets.flatMap((s) => ['--set', s]));
  const r = await helm.run(args, { kubeconfig: env.cluster.kubeconfigPath });
  if (r.code !== 0) throw new Error(`helm install failed: ${r.stderr || r.stdout}`);
  await waitForControlPlane(env, say, opts);
}

/** Waits until every control-plane workload has its replicas Ready. */
export async function waitForControlPlane(
  env: TestEnvironment,
  say: (msg: string) => void,
  opts: InstallOptions = {},
): Promise<void> {
  const started = Date.now();
  await Promise.all(
    workloads(opts).map(async ([app, replicas]) => {
      await waitFor(
        async () => {
          const ready = (await livePods(env, CONTROL_PLANE_NAMESPACE, app)).filter(isPodReady);
          return ready.length >= replicas;
        },
        { what: `${replicas} Ready pod(s) of ${app}`, timeoutMs: 180_000, intervalMs: 250 },
      );
      say(`  ${app}: ${replicas} pod(s) Ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }),
  );
}
