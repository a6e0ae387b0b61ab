#!/usr/bin/env node
// `npm start`: the walkthrough on the embedded default. It starts a real local Kubernetes control
// plane (etcd, kube-apiserver, controller manager, scheduler) and a node agent that runs the pods
// scheduled to it, installs our control plane with `helm install dapr ./charts/dapr`, starts a
// Redis server, applies the `statestore` Component (password from a Secret) and the hello-world
// Deployments, shows what the injector did and the orders as they flow, and stops on Ctrl-C.
// Flags: --exit-when-ready (start, report, stop: used by the tests of this command).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import { binDir, cacheDir, daprBinDir, fetchScript } from '../deps/paths.js';
import { startTestEnvironment, type TestEnvironment } from '../harness/environment.js';
import { startRedis, type TestRedis } from '../harness/redis.js';
import { Helm } from '../harness/tools.js';
import { waitFor } from '../../kit/testing/wait.js';
import {
  allInOneInstall,
  CONTROL_PLANE_NAMESPACE,
  installControlPlane,
  type InstallOptions,
} from './control-plane.js';
import { helloWorldManifests } from './hello-world.js';

const say = (msg: string): void => void process.stdout.write(`[dapr-ts] ${msg}\n`);

function fetchDependencies(): void {
  say(
    'making sure the real components are built (cached after the first run; the first build takes minutes)',
  );
  const parts = ['kubernetes', 'helm-kubectl', 'dapr-control-plane', 'redis', 'nftables', 'daprd'];
  const r = spawnSync('bash', [fetchScript, ...parts], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('fetching the real components failed (see the lines above)');
}

async function appPod(env: TestEnvironment, app: string): Promise<V1Pod> {
  return waitFor(
    async () => {
      const pods = await env.agent.client.get<V1PodList>(
        `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`,
      );
      return pods.items[0];
    },
    { what: `a pod of the ${app} Deployment`, timeoutMs: 60_000 },
  );
}

/** What became of the injected daprd container: running, or why it waits. */
async function sidecarState(env: TestEnvironment, pod: V1Pod): Promise<string> {
  const name = pod.metadata?.name ?? '';
  return waitFor(
    async () => {
      const p = await env.agent.client.get<V1Pod>(`/api/v1/namespaces/default/pods/${name}`);
      const daprd = p.status?.containerStatuses?.find((c) => c.name === 'daprd');
      if (daprd?.state?.running) return 'running';
      const waiting = daprd?.state?.waiting;
      if (waiting?.reason && !['ContainerCreating', 'PodInitializing'].includes(waiting.reason))
        return `waiting: ${waiting.reason}: ${waiting.message ?? ''}`;
      return undefined;
    },
    { what: `the daprd container of ${name} to start or fail`, timeoutMs: 60_000 },
  );
}

/** Prints nodeapp's order lines as they appear, until stopped. */
function followOrders(env: TestEnvironment, pod: string): NodeJS.Timeout {
  let seen = 0;
  return setInterval(() => {
    let lines: string[];
    try {
      lines = env.logs('default', pod, 'node').split('\n');
    } catch {
      return;
    }
    for (const line of lines.slice(seen, -1)) if (/Order ID|persisted/.test(line)) say(`  nodeapp: ${line}`);
    seen = Math.max(seen, lines.length - 1);
  }, 500);
}

/**
 * Says what became of nodeapp's injected daprd; with a running one, follows the orders nodeapp
 * logs (the returned timer), and without daprd on this machine, says so plainly.
 */
async function reportSidecar(env: TestEnvironment, nodeapp: V1Pod): Promise<NodeJS.Timeout | undefined> {
  const daprd = join(daprBinDir(), 'daprd');
  if (!existsSync(daprd)) {
    say(`  the daprd sidecar: ${await sidecarState(env, nodeapp)}`);
    say(
      `  daprd v1.18.3 is missing (${daprd}; \`npm run deps\` builds it with ../shared/goproxy), so the ` +
        'sidecars cannot run and no orders flow.',
    );
    return undefined;
  }
  say(`  the daprd sidecar: ${await sidecarState(env, nodeapp)}; orders as nodeapp logs them:`);
  return followOrders(env, nodeapp.metadata?.name ?? '');
}

/** --all-in-one=<replicas>: the chart's all-in-one mode (docs/all-in-one.md) instead of four workloads. */
function installOptions(argv: readonly string[]): InstallOptions {
  const replicas = Number(
    /^--all-in-one=(\d+)$/.exec(argv.find((a) => a.startsWith('--all-in-one=')) ?? '')?.[1] ?? 0,
  );
  return replicas > 0 ? allInOneInstall(replicas) : {};
}

async function main(): Promise<void> {
  const exitWhenReady = process.argv.includes('--exit-when-ready');
  fetchDependencies();
  say('starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and a node agent');
  const env = await startTestEnvironment();
  const helm = new Helm();
  let redis: TestRedis | undefined;
  let follower: NodeJS.Timeout | undefined;
  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (follower) clearInterval(follower);
    say(`${why}: stopping the cluster`);
    await env.stop();
    await redis?.stop();
    helm.dispose();
    say('stopped; nothing left running');
  };
  process.once('SIGINT', () => void stop('Ctrl-C').then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop('SIGTERM').then(() => process.exit(0)));
  try {
    const { cluster } = env;
    const kubeconfig = join(cacheDir, 'demo', 'kubeconfig');
    mkdirSync(join(cacheDir, 'demo'), { recursive: true });
    copyFileSync(cluster.kubeconfigPath, kubeconfig);
    say(
      `the cluster is ready at ${cluster.server}, node ${env.agent.nodeName}; container logs under ${env.agent.dir}`,
    );

    say(
      `installing the control plane: helm install dapr ./charts/dapr -n ${CONTROL_PLANE_NAMESPACE} --create-namespace`,
    );
    // Pod Security `restricted` on dapr-system only: `default` stays open for what the user tries
    // next (`kubectl create deployment …`, printed below). The daprd suites enforce it there too.
    await installControlPlane(env, helm, say, { ...installOptions(process.argv), appNamespaces: [] });

    redis = await startRedis({ host: env.network.hostIp, password: randomBytes(12).toString('hex') });
    say(`redis-server listening on ${redis.host}:${redis.port} (password in Secret default/redis)`);
    await env.apply(
      helloWorldManifests({
        redisAddress: `${redis.host}:${redis.port}`,
        redisPassword: redis.password ?? '',
      }),
    );
    say('applied: Secret redis, Component statestore (state.redis), Deployments nodeapp and pythonapp');

    const nodeapp = await appPod(env, 'node');
    const containers = (nodeapp.spec?.containers ?? []).map((c) => `${c.name} (${c.image})`).join(', ');
    say(`nodeapp's pod ${nodeapp.metadata?.name}: containers ${containers}`);
    follower = await reportSidecar(env, nodeapp);
    const podIp = (
      await env.agent.client.get<V1Pod>(`/api/v1/namespaces/default/pods/${nodeapp.metadata?.name ?? ''}`)
    ).status?.podIP;
    say('in another terminal:');
    process.stdout.write(
      [
        `  export KUBECONFIG=${kubeconfig} PATH=${binDir}:$PATH`,
        `  kubectl get pods -n ${CONTROL_PLANE_NAMESPACE}`,
        '  kubectl get pods,components',
        '  kubectl get pod -l app=node -o jsonpath="{.items[0].spec.containers[*].name}"',
        `  curl http://${podIp ?? '<nodeapp pod IP>'}:3000/order`,
        `  ${binDir}/redis-cli -h ${redis.host} -p ${redis.port} -a "$(kubectl get secret redis -o jsonpath='{.data.redis-password}' | base64 -d)" --no-auth-warning KEYS '*'`,
        '  kubectl create deployment hello --image=dapr-ts/test-app:echo --port=8080',
        '  helm list -A',
        '',
      ].join('\n'),
    );
    if (exitWhenReady) {
      await stop('--exit-when-ready');
      return;
    }
    say('press Ctrl-C to stop');
    await new Promise(() => undefined); // until a signal handler exits the process
  } catch (err) {
    await stop('error');
    throw err;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`[dapr-ts] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
