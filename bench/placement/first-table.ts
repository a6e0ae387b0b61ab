// bench/placement/first-table: how long a freshly connected daprd waits for its first table, on
// the upstream Go placement v1.18.3 and on our placement binary, side by side (plaintext,
// standalone, one replica each). For each trial a new channel is dialled (as a restarted daprd
// does), a daprd-protocol client reports one actor type, and the times to its first UPDATE and
// first UNLOCK are taken; half the trials join a namespace that already has a host.
// Usage: node dist/bench/placement/first-table.js [trials]   (default 10)
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePorts } from '../../kit/testing/ports.js';
import { TestDaprd } from '../../placement/server/testing/test-daprd.js';
import { daprBinDir, repoRoot } from '../../test/deps/paths.js';

interface Server {
  readonly name: string;
  readonly address: string;
  readonly child: ChildProcess;
}

async function healthy(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error(`${what} not healthy in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function start(name: 'go' | 'ts'): Promise<Server> {
  const [grpc = 0, healthz = 0, metrics = 0, raft = 0] = await freePorts(4);
  const common = [
    `--port=${grpc}`,
    `--healthz-port=${healthz}`,
    `--metrics-port=${metrics}`,
    `--initial-cluster=dapr-placement-0=127.0.0.1:${raft}`,
    '--listen-address=127.0.0.1',
    '--log-level=warn',
  ];
  const child =
    name === 'go'
      ? spawn(join(daprBinDir(), 'placement'), common, { stdio: 'ignore' })
      : spawn(process.execPath, [join(repoRoot, 'dist', 'placement', 'main.js'), ...common], {
          stdio: 'ignore',
        });
  await healthy(healthz, child, `the ${name} placement`);
  return { name, address: `127.0.0.1:${grpc}`, child };
}

/** Milliseconds from dialling to the first UPDATE and the first UNLOCK. */
async function firstTable(
  address: string,
  name: string,
  namespace: string,
): Promise<[number, number, TestDaprd]> {
  const t0 = performance.now();
  let update = 0;
  const d = new TestDaprd({ address, name, id: name.replace(/[.:]/g, '-'), namespace, entities: ['Bench'] });
  await d.until((x) => {
    if (update === 0 && x.orders.some((o) => o.operation === 'update')) update = performance.now() - t0;
    return x.orders.some((o) => o.operation === 'unlock') || x.error !== undefined;
  }, 30_000);
  if (d.error !== undefined) throw new Error(`stream failed: ${d.error.message}`);
  return [update, performance.now() - t0, d];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const fmt = (xs: number[]): string =>
  `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

async function measure(server: Server, trials: number): Promise<void> {
  const alone: number[][] = [[], []];
  const joining: number[][] = [[], []];
  for (let i = 0; i < trials; i++) {
    // Alone in a fresh namespace.
    const [u, l, d] = await firstTable(server.address, `10.1.${i}.1:50002`, `alone-${i}`);
    alone[0]!.push(u);
    alone[1]!.push(l);
    // Joining that namespace while the first host stays connected.
    const [u2, l2, d2] = await firstTable(server.address, `10.1.${i}.2:50002`, `alone-${i}`);
    joining[0]!.push(u2);
    joining[1]!.push(l2);
    d.close();
    d2.close();
  }
  process.stdout.write(
    `${server.name}: alone   first UPDATE ${fmt(alone[0]!)}; first UNLOCK ${fmt(alone[1]!)}\n` +
      `${server.name}: joining first UPDATE ${fmt(joining[0]!)}; first UNLOCK ${fmt(joining[1]!)}\n`,
  );
}

async function main(): Promise<void> {
  const trials = Number(process.argv[2] ?? 10);
  for (const name of ['go', 'ts'] as const) {
    const server = await start(name);
    try {
      await measure(server, trials);
    } finally {
      server.child.kill('SIGTERM');
    }
  }
  // grpc-js channels of closed clients may linger briefly; nothing else is left to wait for.
  process.exit(0);
}

await main();
