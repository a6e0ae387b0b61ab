// The walkthrough on the chart's all-in-one mode (docs/all-in-one.md): `npm start -- --all-in-one=2`
// installs the chart with global.allInOne.enabled and two replicas of dapr-control-plane, the
// hello-world apps run with the real daprd, the pod holding placement's Lease is deleted once
// (HA failover: the other replica's placement takes over, daprd reconnects to it), and every
// order pythonapp sent is still read back from Redis.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daprBinDir } from '../../deps/paths.js';
import { ManagedProcess, runId } from '../../../kit/testing/managed-process.js';
import { kubectl } from '../../harness/tools.js';
import { waitFor } from '../../../kit/testing/wait.js';
import {
  controlPlanePods,
  expectNoOrderLost,
  placementRuntimes,
  say,
  startDemo,
  type PodSummary,
} from './walkthrough.js';

const APP = 'dapr-control-plane';

let dir = '';
let demo: ManagedProcess | undefined;
beforeAll(() => {
  const daprd = join(daprBinDir(), 'daprd');
  if (!existsSync(daprd)) throw new Error(`daprd is not built (${daprd} is missing): run \`npm run deps\``);
  dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-demo-all-in-one-`));
});
afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The replica whose placement serves both daprds: the Lease holder (followers refuse streams). */
async function placementLeader(kubeconfig: string): Promise<PodSummary> {
  return waitFor(
    async () => {
      for (const pod of await controlPlanePods(kubeconfig, APP))
        if (pod.ready && (await placementRuntimes(pod.ip)) === 2) return pod;
      return undefined;
    },
    { what: 'both daprds on the placement leader', timeoutMs: 90_000, intervalMs: 200 },
  );
}

describe('the walkthrough on the all-in-one chart mode', () => {
  it('installs one StatefulSet of 2 replicas, runs hello-world with the real daprd, survives the leader pod being deleted, loses no order', async () => {
    const started = await startDemo(dir, ['--all-in-one=2']);
    demo = started.demo;
    const { log, kubeconfig } = started;
    const opts = { kubeconfig };
    expect(log()).toMatch(/dapr-control-plane: 2 pod\(s\) Ready after/);
    // No separate workload of the four: only the all-in-one and the scheduler run in dapr-system.
    const owners = await kubectl(
      ['-n', 'dapr-system', 'get', 'statefulsets,deployments', '-o', 'jsonpath={.items[*].metadata.name}'],
      opts,
    );
    expect(owners.stdout.split(' ').sort()).toEqual(['dapr-control-plane', 'dapr-scheduler-server']);
    expect(log()).toMatch(
      /containers node \(dapr-ts\/test-app:nodeapp\), daprd \(ghcr\.io\/dapr\/daprd:1\.18\.3\)/,
    );
    await waitFor(() => log().includes('Successfully persisted state.'), {
      what: 'orders to flow through the sidecars',
      timeoutMs: 120_000,
    });

    const leader = await placementLeader(kubeconfig);
    const before = await controlPlanePods(kubeconfig, APP);
    const t0 = Date.now();
    const deleted = await kubectl(
      ['-n', 'dapr-system', 'delete', 'pod', '--wait=false', '--field-selector', `status.podIP=${leader.ip}`],
      opts,
    );
    expect(deleted.stdout).toContain('deleted');
    // The other replica's placement takes the Lease and both daprds move to it; meanwhile the
    // StatefulSet brings the deleted pod back.
    const next = await placementLeader(kubeconfig);
    say(
      `placement failover: both daprds on ${next.ip} after ${Date.now() - t0} ms (leader was ${leader.ip})`,
    );
    await waitFor(
      async () => {
        const pods = await controlPlanePods(kubeconfig, APP);
        return (
          pods.filter((p) => p.ready).length === 2 && pods.some((p) => !before.some((b) => b.uid === p.uid))
        );
      },
      { what: 'the deleted replica to be back and Ready', timeoutMs: 120_000, intervalMs: 200 },
    );
    say(`the deleted replica is back and Ready after ${Date.now() - t0} ms`);
    const agentDir = /container logs under (\S+)/.exec(log())?.[1];
    expect(agentDir).toBeDefined();
    await expectNoOrderLost(kubeconfig, log(), join(agentDir!, 'pods'));

    process.kill(demo.pid, 'SIGINT');
    expect(await demo.exited).toBe(0);
  }, 900_000);
});
