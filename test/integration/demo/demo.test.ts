// The README's main command (`npm start` = dist/test/demo/main.js): brings the local cluster
// up, installs our control plane with the chart, deploys the hello-world walkthrough, says how
// to reach it all, and stops cleanly on Ctrl-C.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daprBinDir, repoRoot } from '../../deps/paths.js';
import { ManagedProcess, runId } from '../../harness/process.js';
import { processesOfRun } from '../../harness/reaper.js';
import { kubectl } from '../../harness/tools.js';
import { waitFor } from '../../harness/wait.js';

let dir = '';
let demo: ManagedProcess | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-demo-`));
});
afterAll(async () => {
  await demo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start (the local cluster with our control plane and the hello-world apps)', () => {
  it('installs the chart, deploys hello-world with injected sidecars, prints how to reach it, and stops everything on Ctrl-C', async () => {
    const logFile = join(dir, 'demo.log');
    demo = await ManagedProcess.start({
      name: 'demo',
      command: process.execPath,
      args: [join(repoRoot, 'dist/test/demo/main.js')],
      logFile,
    });
    const log = (): string => readFileSync(logFile, 'utf8');
    await waitFor(() => log().includes('press Ctrl-C to stop'), {
      what: 'the demo to be ready',
      timeoutMs: 240_000,
    });
    const kubeconfig = /export KUBECONFIG=(\S+)/.exec(log())?.[1];
    expect(kubeconfig).toBeDefined();
    // The chart's five workloads became Ready, and the injector added daprd to nodeapp's pod.
    for (const app of ['sentry', 'operator', 'sidecar-injector', 'placement-server', 'scheduler-server'])
      expect(log()).toMatch(new RegExp(`dapr-${app}: \\d pod\\(s\\) Ready after`));
    expect(log()).toMatch(
      /containers node \(dapr-ts\/test-app:nodeapp\), daprd \(ghcr\.io\/dapr\/daprd:1\.18\.3\)/,
    );
    if (!existsSync(`${daprBinDir()}/daprd`)) {
      // Said plainly, not papered over: without daprd the sidecars cannot run.
      expect(log()).toContain('the daprd sidecar: waiting: DaprdUnavailable');
    } else {
      await waitFor(() => log().includes('Successfully persisted state.'), {
        what: 'orders to flow through the sidecars',
        timeoutMs: 120_000,
      });
    }
    // The printed commands work: a Deployment's pod runs on the demo's node.
    const opts = { kubeconfig };
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
  });
});
