// The README's main command (`npm start` = dist/test/demo/main.js): brings the local cluster
// up, installs our control plane with the chart, deploys the hello-world walkthrough with the
// real daprd sidecars, says how to reach it all, and stops cleanly on Ctrl-C. While orders flow,
// each of our four services is restarted twice; afterwards every order pythonapp sent is read
// back from Redis (none lost), and the recovery time of each restart is reported.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daprBinDir } from '../../deps/paths.js';
import { ManagedProcess, runId } from '../../../kit/testing/managed-process.js';
import { processesOfRun } from '../../harness/reaper.js';
import { kubectl } from '../../harness/tools.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { OperatorConnection } from '../../../operator/testing/daprd-client.js';
import { workloadSvid } from '../../harness/workload-svid.js';
import {
  containerLogs,
  controlPlanePods,
  expectNoOrderLost,
  placementRuntimes,
  say,
  startDemo,
} from './walkthrough.js';

let dir = '';
let demo: ManagedProcess | undefined;
beforeAll(() => {
  // A missing real component fails loudly: the walkthrough is nothing without daprd.
  const daprd = join(daprBinDir(), 'daprd');
  if (!existsSync(daprd)) throw new Error(`daprd is not built (${daprd} is missing): run \`npm run deps\``);
  dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-demo-`));
});
afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start (the local cluster with our control plane and the hello-world apps)', () => {
  it('installs the chart, runs hello-world with the real daprd, loses no order while each service restarts twice, and stops everything on Ctrl-C', async () => {
    const started = await startDemo(dir);
    demo = started.demo;
    const { log, kubeconfig } = started;
    // The chart's five workloads became Ready, and the injector added daprd to nodeapp's pod.
    for (const app of ['sentry', 'operator', 'sidecar-injector', 'placement-server', 'scheduler-server'])
      expect(log()).toMatch(new RegExp(`dapr-${app}: \\d pod\\(s\\) Ready after`));
    expect(log()).toMatch(
      /containers node \(dapr-ts\/test-app:nodeapp\), daprd \(ghcr\.io\/dapr\/daprd:1\.18\.3\)/,
    );
    expect(log()).toContain('the daprd sidecar: running; orders as nodeapp logs them:');
    await waitFor(() => log().includes('Successfully persisted state.'), {
      what: 'orders to flow through the sidecars',
      timeoutMs: 120_000,
    });
    // The printed commands work: a Deployment's pod runs on the demo's node.
    const opts = { kubeconfig };
    // The node agent keeps each container's log under the directory the demo prints (there is no
    // kubelet API behind `kubectl logs`): pods/<ns>_<pod>_<uid>/logs/<container>/<restart>.log.
    const agentDir = /container logs under (\S+)/.exec(log())?.[1];
    expect(agentDir).toBeDefined();
    const podsDir = join(agentDir!, 'pods');
    await restartEachServiceTwice(kubeconfig, podsDir);
    await expectNoOrderLost(kubeconfig, log(), podsDir);
    const components = await kubectl(['get', 'components', '-o', 'name'], opts);
    expect(components.stdout.trim()).toBe('component.dapr.io/statestore');
    // The chart-installed operator gave each Dapr Deployment its headless <app-id>-dapr Service.
    const services = await waitFor(
      async () => {
        const r = await kubectl(['get', 'services', '-o', 'jsonpath={.items[*].metadata.name}'], opts);
        const names = r.stdout.split(' ');
        return names.includes('nodeapp-dapr') && names.includes('pythonapp-dapr') && names;
      },
      { what: 'the operator to create nodeapp-dapr and pythonapp-dapr', timeoutMs: 60_000 },
    );
    expect(services).toEqual(expect.arrayContaining(['nodeapp-dapr', 'pythonapp-dapr']));
    await expectComponentDelivered(kubeconfig);
    const created = await kubectl(
      ['create', 'deployment', 'hello', '--image=dapr-ts/test-app:echo', '--port=8080'],
      opts,
    );
    expect(created.stderr).toBe('');
    await waitFor(
      async () =>
        (await kubectl(['get', 'pods', '-l', 'app=hello', '-o', 'jsonpath={.items[0].status.phase}'], opts))
          .stdout === 'Running',
      { what: 'the hello pod to run', timeoutMs: 60_000 },
    );
    const childPids = processesOfRun(runId).filter((pid) => pid !== demo?.pid);
    // etcd, apiserver, controller manager, scheduler, redis, the control plane and the apps
    expect(childPids.length).toBeGreaterThanOrEqual(12);

    process.kill(demo.pid, 'SIGINT');
    expect(await demo.exited).toBe(0);
    expect(log()).toContain('Ctrl-C: stopping the cluster');
    expect(log()).toContain('stopped; nothing left running');
    await waitFor(() => childPids.every((pid) => !processesOfRun(runId).includes(pid)), {
      what: 'the cluster processes to be gone',
      timeoutMs: 10_000,
    });
  }, 900_000);
});

/**
 * Deletes the pod of each of our services twice, as an admin (or an eviction) would, and times
 * the recovery: until the replacement pod is Ready and, for placement, until both daprds (nodeapp
 * and pythonapp hold actor state, so they join placement) are connected to it again.
 */
async function restartEachServiceTwice(kubeconfig: string, podsDir: string): Promise<void> {
  const daprdLog = (): string => containerLogs(podsDir, 'default_nodeapp-', 'daprd');
  const services = ['dapr-sentry', 'dapr-operator', 'dapr-sidecar-injector', 'dapr-placement-server'];
  const placement = (await controlPlanePods(kubeconfig, 'dapr-placement-server'))[0]!;
  await waitFor(async () => (await placementRuntimes(placement.ip)) === 2, {
    what: 'both daprds to connect to placement',
    timeoutMs: 60_000,
  });
  for (const round of [1, 2]) {
    for (const app of services) {
      const before = await controlPlanePods(kubeconfig, app);
      const t0 = Date.now();
      await kubectl(['-n', 'dapr-system', 'delete', 'pod', '-l', `app=${app}`, '--wait=false'], {
        kubeconfig,
      });
      const next = await waitFor(
        async () => {
          const pods = await controlPlanePods(kubeconfig, app);
          const fresh = pods.filter((p) => p.ready && !before.some((b) => b.uid === p.uid));
          return fresh.length === before.length && fresh[0];
        },
        { what: `a new Ready pod of ${app}`, timeoutMs: 120_000, intervalMs: 100 },
      );
      const readyMs = Date.now() - t0;
      let detail = '';
      if (app === 'dapr-placement-server') {
        await waitFor(async () => (await placementRuntimes(next.ip)) === 2, {
          what: 'both daprds back on the new placement pod',
          timeoutMs: 60_000,
          intervalMs: 100,
        });
        const connectedMs = Date.now() - t0;
        detail = `, both daprds connected after ${connectedMs} ms`;
        // Back on it within seconds of its Ready, not after a dial timeout to the gone pod's address.
        expect(connectedMs - readyMs).toBeLessThan(10_000);
      }
      if (app === 'dapr-operator') {
        // daprd's hot-reload streams come back to the new operator: a Component created now
        // reaches nodeapp's daprd through them (HotReload is on by default in daprd 1.18).
        const probe = `restart-probe-${round}`;
        const manifest = join(dir, `${probe}.yaml`);
        writeFileSync(
          manifest,
          `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${probe}\n  namespace: default\nspec:\n  type: state.in-memory\n  version: v1\n  metadata: []\n`,
        );
        const applied = await kubectl(['apply', '-f', manifest], { kubeconfig });
        expect(applied.stderr).toBe('');
        await waitFor(() => daprdLog().includes(`Component loaded: ${probe} (state.in-memory/v1)`), {
          what: `nodeapp's daprd to load ${probe} through the new operator`,
          timeoutMs: 30_000,
          intervalMs: 100,
        });
        const loadedMs = Date.now() - t0;
        detail = `, a new Component in nodeapp's daprd after ${loadedMs} ms`;
        await kubectl(['delete', 'component', probe], { kubeconfig });
        expect(loadedMs - readyMs).toBeLessThan(10_000);
      }
      say(`restart ${round} of ${app}: new pod Ready after ${readyMs} ms${detail}`);
    }
  }
}

/**
 * What nodeapp's daprd would get from the chart-installed control plane, asked exactly as daprd
 * asks: an SVID from our sentry with a token bound to nodeapp's real pod, then ListComponents
 * from our operator over mTLS. The statestore arrives with its password resolved from the Secret.
 */
async function expectComponentDelivered(kubeconfig: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const ipOf = async (namespace: string, app: string): Promise<string> => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${app}` });
    const ip = pods.items[0]?.status?.podIP;
    if (ip === undefined) throw new Error(`no pod IP for ${namespace}/${app}`);
    return ip;
  };
  const nodeapp = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=node' }))
    .items[0]!;
  const bundle = await core.readNamespacedConfigMap({ namespace: 'dapr-system', name: 'dapr-trust-bundle' });
  const anchors = Buffer.from(bundle.data?.['ca.crt'] ?? '');
  const svid = await workloadSvid({
    core,
    sentryAddress: `${await ipOf('dapr-system', 'dapr-sentry')}:50001`,
    trustAnchorsPem: anchors,
    sentryNamespace: 'dapr-system',
    appId: 'nodeapp',
    namespace: 'default',
    pod: nodeapp,
  });
  const operator = new OperatorConnection({
    ...svid,
    trustAnchorsPem: anchors,
    address: `${await ipOf('dapr-system', 'dapr-operator')}:6500`,
    operatorId: 'spiffe://cluster.local/ns/dapr-system/dapr-operator',
  });
  try {
    const components = (await operator.list('ListComponents', 'default')).map(
      (b) =>
        JSON.parse(b.toString()) as {
          metadata: { name: string };
          spec: { metadata: { name: string; value?: string }[] };
        },
    );
    expect(components.map((c) => c.metadata.name)).toEqual(['statestore']);
    const secret = await core.readNamespacedSecret({ namespace: 'default', name: 'redis' });
    const password = components[0]!.spec.metadata.find((m) => m.name === 'redisPassword');
    // Upstream's encoding: the base64 of the secret's bytes, as Secret.data holds it.
    expect(secret.data?.['redis-password']).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(password?.value).toBe(secret.data?.['redis-password']);
  } finally {
    operator.close();
  }
}
