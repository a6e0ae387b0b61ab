// What the walkthrough tests share (demo.test.ts, all-in-one.test.ts): `npm start` up to its
// ready line, the control-plane pods as
// kubectl sees them, placement's daprd count from its metrics, container logs from the node
// agent's directory, and the check that no order pythonapp sent is missing from Redis.
import { expect } from '@jest/globals';
import type { V1Pod } from '@kubernetes/client-node';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, repoRoot } from '../../deps/paths.js';
import { ManagedProcess } from '../../../kit/testing/managed-process.js';
import { kubectl, run } from '../../harness/tools.js';
import { waitFor } from '../../../kit/testing/wait.js';

export interface RunningDemo {
  readonly demo: ManagedProcess;
  /** The demo's output so far. */
  readonly log: () => string;
  readonly kubeconfig: string;
}

/** `npm start`'s program with `args`, its output in `dir`, once it prints that it is ready. */
export async function startDemo(dir: string, args: readonly string[] = []): Promise<RunningDemo> {
  const logFile = join(dir, 'demo.log');
  const demo = await ManagedProcess.start({
    name: 'demo',
    command: process.execPath,
    args: [join(repoRoot, 'dist/test/demo/main.js'), ...args],
    logFile,
  });
  const log = (): string => readFileSync(logFile, 'utf8');
  await waitFor(() => log().includes('press Ctrl-C to stop'), {
    what: 'the demo to be ready',
    timeoutMs: 240_000,
  });
  const kubeconfig = /export KUBECONFIG=(\S+)/.exec(log())?.[1];
  expect(kubeconfig).toBeDefined();
  return { demo, log, kubeconfig: kubeconfig! };
}

export const say = (msg: string): void => void process.stdout.write(`[walkthrough] ${msg}\n`);

export interface PodSummary {
  readonly uid: string;
  readonly ip: string;
  readonly ready: boolean;
}

export async function controlPlanePods(kubeconfig: string, app: string): Promise<PodSummary[]> {
  const r = await kubectl(['-n', 'dapr-system', 'get', 'pods', '-l', `app=${app}`, '-o', 'json'], {
    kubeconfig,
  });
  const list = JSON.parse(r.stdout) as { items: V1Pod[] };
  return list.items
    .filter((p) => p.metadata?.deletionTimestamp === undefined)
    .map((p) => ({
      uid: p.metadata?.uid ?? '',
      ip: p.status?.podIP ?? '',
      ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
    }));
}

/** How many daprd streams the placement server at `ip` holds (its dapr_placement_runtimes_total). */
export async function placementRuntimes(ip: string): Promise<number> {
  try {
    const text = await (
      await fetch(`http://${ip}:9090/metrics`, { signal: AbortSignal.timeout(2000) })
    ).text();
    return Number(/^dapr_placement_runtimes_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Every log of `container` in the pods whose directory starts with `podPrefix`, concatenated. */
export function containerLogs(podsDir: string, podPrefix: string, container: string): string {
  return readdirSync(podsDir)
    .filter((d) => d.startsWith(podPrefix))
    .flatMap((d) => {
      const dir = join(podsDir, d, 'logs', container);
      return existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')) : [];
    })
    .join('');
}

/** Every order pythonapp sent (it resends a failed one) is in Redis under nodeapp's key order-<n>. */
export async function expectNoOrderLost(kubeconfig: string, demoLog: string, podsDir: string): Promise<void> {
  const sent = (): string => containerLogs(podsDir, 'default_pythonapp-', 'python');
  const lastSent = (text: string): number =>
    Math.max(0, ...[...text.matchAll(/^Sent order (\d+): HTTP 200$/gm)].map((m) => Number(m[1])));
  // A few more orders after the last restart.
  const afterRestarts = lastSent(sent());
  await waitFor(() => lastSent(sent()) >= afterRestarts + 3, {
    what: 'three more orders after the restarts',
    timeoutMs: 60_000,
  });
  const log = sent();
  const last = lastSent(log);
  const failures = [...log.matchAll(/^Order \d+ failed: .*$/gm)].map((m) => m[0]);
  const redis = /redis-cli -h (\S+) -p (\d+)/.exec(demoLog);
  expect(redis).not.toBeNull();
  const password = Buffer.from(
    (await kubectl(['get', 'secret', 'redis', '-o', 'jsonpath={.data.redis-password}'], { kubeconfig }))
      .stdout,
    'base64',
  ).toString();
  const cli = await run(join(binDir, 'redis-cli'), [
    ...['-h', redis![1]!, '-p', redis![2]!, '-a', password, '--no-auth-warning'],
    ...['--scan', '--pattern', 'nodeapp||order-*'],
  ]);
  expect(cli.code).toBe(0);
  const stored = new Set(cli.stdout.split('\n').filter(Boolean));
  const missing: number[] = [];
  for (let n = 1; n <= last; n++) if (!stored.has(`nodeapp||order-${n}`)) missing.push(n);
  say(
    `${last} orders sent, ${stored.size} stored in Redis, ${failures.length} attempts failed and were resent`,
  );
  for (const f of failures.slice(0, 10)) say(`  ${f}`);
  expect(missing).toEqual([]);
}
