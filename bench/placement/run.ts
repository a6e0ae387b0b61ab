// bench/placement: N simulated daprds (grpc-js clients speaking daprd 1.18's side of the
// protocol) against the Go placement v1.18.3 and against ours, each in its own process. For each
// N it measures, per server: the time from one membership change (a join, then a leave) until
// every stream has acknowledged that round's UNLOCK, and the server's RSS.
// Usage: node dist/bench/placement/run.js [--only=go|ts] [N ...]   (default 100 1000)
import { Client, credentials } from '@grpc/grpc-js';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePorts } from '../../kit/testing/ports.js';
import { Daprd } from './daprd.js';
import { daprBinDir, repoRoot } from '../../test/deps/paths.js';
import { rssMiB } from '../../test/harness/service-probes.js';

const STREAMS_PER_CONNECTION = 50;

interface Server {
  readonly name: string;
  readonly address: string;
  readonly child: ChildProcess;
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function startGo(): Promise<Server> {
  const [grpc, healthz, metrics, raft] = await freePorts(4);
  const child = spawn(
    join(daprBinDir(), 'placement'),
    [
      `--port=${grpc}`,
      `--healthz-port=${healthz}`,
      `--metrics-port=${metrics}`,
      `--initial-cluster=dapr-placement-0=127.0.0.1:${raft}`,
      '--listen-address=127.0.0.1',
      '--log-level=warn',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(
    async () => {
      try {
        return (await fetch(`http://127.0.0.1:${healthz}/healthz`)).ok;
      } catch {
        return false;
      }
    },
    20_000,
    'the Go placement',
  );
  await new Promise((r) => setTimeout(r, 300));
  return { name: 'go', address: `127.0.0.1:${grpc}`, child };
}

async function startOurs(): Promise<Server> {
  const [port] = await freePorts(1);
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist', 'bench', 'placement', 'serve.js'), String(port)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => b.toString().includes('listening') && resolve());
    child.on('exit', () => reject(new Error('our placement exited')));
  });
  return { name: 'ts', address: `127.0.0.1:${port}`, child };
}

async function measure(server: Server, n: number): Promise<Record<string, number | string>> {
  const clients: Client[] = [];
  const clientFor = (i: number): Client => {
    const k = Math.floor(i / STREAMS_PER_CONNECTION);
    return (clients[k] ??= new Client(server.address, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    }));
  };
  const daprds: Daprd[] = [];
  const t0 = Date.now();
  for (let i = 0; i < n; i++)
    daprds.push(
      new Daprd(
        clientFor(i),
        `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:50002`,
        i % 10 === 9 ? [] : ['X', 'Y'],
      ),
    );
  const settled = async (): Promise<number> => {
    let last = -2;
    let stableSince = Date.now();
    await waitFor(
      () => {
        const v = daprds[0]!.unlocked;
        const same = daprds.every((d) => d.unlocked === v) && v >= 0;
        if (!same || v !== last) {
          last = v;
          stableSince = Date.now();
          return false;
        }
        return Date.now() - stableSince > 300;
      },
      300_000,
      `${n} streams to settle on ${server.name}`,
    );
    return last;
  };
  const v0 = await settled();
  const connectMs = Date.now() - t0 - 300;
  // a join
  let t = performance.now();
  const joiner = new Daprd(clientFor(n), '10.255.255.254:50002', ['X']);
  daprds.push(joiner);
  await waitFor(() => daprds.every((d) => d.failed || d.unlocked > v0), 120_000, 'the join round');
  const joinMs = performance.now() - t;
  const v1 = await settled();
  // a leave
  t = performance.now();
  joiner.close();
  daprds.pop();
  await waitFor(() => daprds.every((d) => d.failed || d.unlocked > v1), 120_000, 'the leave round');
  const leaveMs = performance.now() - t;
  const rss = rssMiB(server.child.pid!);
  const peakRss = rssMiB(server.child.pid!, 'VmHWM');
  const kicked = daprds.filter((d) => d.failed).length;
  for (const d of daprds) d.close();
  for (const c of clients) c.close();
  await new Promise((r) => setTimeout(r, 500));
  return {
    server: server.name,
    streams: n,
    connectAllMs: connectMs,
    joinToAllUnlockedMs: Math.round(joinMs),
    leaveToAllUnlockedMs: Math.round(leaveMs),
    rssMiB: rss,
    peakRssMiB: peakRss,
    kicked,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const sizes = args.filter((a) => !a.startsWith('--')).map(Number);
  const starters = [startGo, startOurs].filter((_, i) => only === undefined || only === ['go', 'ts'][i]);
  const rows: Record<string, number | string>[] = [];
  for (const n of sizes.length > 0 ? sizes : [100, 1000]) {
    for (const start of starters) {
      const server = await start();
      try {
        rows.push(await measure(server, n));
      } finally {
        server.child.kill('SIGTERM');
        await new Promise((r) => server.child.once('exit', r));
      }
    }
  }
  console.table(rows);
}

await main();
