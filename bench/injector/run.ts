// bench/injector: AdmissionReview throughput and latency over HTTPS, our injector against the
// upstream Go injector v1.18.3 in the same run, both set up as the chart runs them (serving
// certificate from our sentry, a test apiserver for their caches and the caBundle patch).
// Every request is a real injection: a Deployment-made pod with dapr.io/enabled, a few common
// annotations and the replicaset-controller as caller, so each answer carries the full patch.
//
// Two loads per injector, after a warm-up:
//  - closed loop: C concurrent keep-alive connections sending back to back for D seconds
//    (throughput, p50, p99);
//  - open loop: a fixed rate (default 500 req/s) for D seconds, each request sent at its
//    scheduled time and timed from that time, so a stall shows up as latency (no coordinated
//    omission).
// Usage: node dist/bench/injector/run.js [--concurrency=16] [--seconds=10] [--rate=500] [--only=go|ts]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster } from '../../test/cluster/cluster.js';
import { runId } from '../../kit/testing/managed-process.js';
import {
  AdmissionClient,
  CONTROL_PLANE_NS,
  podReview,
  startInjector,
  startInjectorControlPlane,
  type InjectorKind,
  type RunningInjector,
} from '../../test/integration/injector/support.js';
import { cpuMs, percentile } from '../report.js';
import { rssMiB } from '../../test/harness/service-probes.js';

interface Settings {
  readonly concurrency: number;
  readonly seconds: number;
  readonly rate: number;
  readonly only: InjectorKind | undefined;
}

function settings(argv: readonly string[]): Settings {
  const value = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = value('only');
  return {
    concurrency: Number(value('concurrency') ?? 16),
    seconds: Number(value('seconds') ?? 10),
    rate: Number(value('rate') ?? 500),
    only: only === 'go' ? 'go' : only === 'ts' ? 'ours' : undefined,
  };
}

/** The pod every request creates (a typical Deployment pod with Dapr on). */
const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    generateName: 'checkout-7d9c5b-',
    namespace: 'default',
    labels: { app: 'checkout', 'pod-template-hash': '7d9c5b' },
    annotations: {
      'dapr.io/enabled': 'true',
      'dapr.io/app-id': 'checkout',
      'dapr.io/app-port': '8080',
      'dapr.io/config': 'appconfig',
      'dapr.io/log-level': 'info',
      'dapr.io/sidecar-cpu-request': '100m',
      'dapr.io/sidecar-memory-limit': '256Mi',
    },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7d9c5b', uid: 'u', controller: true },
    ],
  },
  spec: {
    serviceAccountName: 'default',
    containers: [
      {
        name: 'checkout',
        image: 'example/checkout:1.4.2',
        ports: [{ containerPort: 8080 }],
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
        resources: { requests: { cpu: '100m', memory: '64Mi' } },
      },
    ],
    volumes: [
      { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
    ],
  },
};

/** The injector process's pid: the unshare wrapper execs it, so the wrapper's pid is the injector's. */
function injectorPid(injector: RunningInjector): number {
  return injector.proc.pid;
}

let sequence = 0;
async function one(client: AdmissionClient): Promise<number> {
  const body = podReview(`bench-${sequence++}`, POD);
  const t = performance.now();
  const answer = await client.post(body);
  const elapsed = performance.now() - t;
  if (answer.status !== 200 || !answer.body.includes('"patchType":"JSONPatch"')) {
    throw new Error(`unexpected answer ${answer.status}: ${answer.body.slice(0, 200)}`);
  }
  return elapsed;
}

async function closedLoop(client: AdmissionClient, concurrency: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) latencies.push(await one(client));
    }),
  );
  return latencies;
}

async function openLoop(client: AdmissionClient, rate: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const start = performance.now();
  const total = Math.round(rate * seconds);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const scheduled = start + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      client.post(podReview(`open-${sequence++}`, POD)).then((answer) => {
        if (answer.status !== 200) throw new Error(`unexpected status ${answer.status}`);
        latencies.push(performance.now() - scheduled);
      }),
    );
  }
  await Promise.all(pending);
  return latencies;
}

interface Sample {
  readonly latencies: number[];
  /** Server CPU time spent during the load. */
  readonly cpuMs: number;
}

async function sampled(pid: number, load: () => Promise<number[]>): Promise<Sample> {
  const before = cpuMs(pid);
  const latencies = await load();
  return { latencies, cpuMs: cpuMs(pid) - before };
}

function row(
  name: string,
  load: string,
  sample: Sample,
  seconds: number,
  rss: number,
): Record<string, string | number> {
  const { latencies } = sample;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    injector: name,
    load,
    requests: sorted.length,
    'req/s': Math.round(sorted.length / seconds),
    'p50 ms': Number(percentile(sorted, 50).toFixed(2)),
    'p99 ms': Number(percentile(sorted, 99).toFixed(2)),
    'max ms': Number((sorted.at(-1) ?? NaN).toFixed(2)),
    'server CPU µs/req': Math.round((sample.cpuMs * 1000) / Math.max(1, sorted.length)),
    'RSS MiB': rss,
  };
}

async function main(): Promise<void> {
  const s = settings(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-bench-injector-`));
  const cluster = await startTestCluster();
  const running: RunningInjector[] = [];
  let sentryStop: (() => Promise<unknown>) | undefined;
  try {
    const plane = await startInjectorControlPlane(cluster, dir, {
      namespace: CONTROL_PLANE_NS,
      name: 'dapr-sidecar-injector',
    });
    sentryStop = () => plane.sentry.proc.stop();
    const anchors = readFileSync(plane.anchorsFile);
    const kinds: InjectorKind[] = s.only !== undefined ? [s.only] : ['go', 'ours'];
    for (const kind of kinds) running.push(await startInjector(kind, cluster, plane, dir));
    const rows: Record<string, string | number>[] = [];
    for (const injector of running) {
      const name = injector.kind === 'go' ? 'Go v1.18.3' : 'ours (TS)';
      const client = new AdmissionClient(injector.port, anchors, s.concurrency);
      try {
        await closedLoop(client, s.concurrency, 2); // warm-up: JIT, TLS sessions, keep-alive sockets
        const pid = injectorPid(injector);
        const closed = await sampled(pid, () => closedLoop(client, s.concurrency, s.seconds));
        rows.push(row(name, `closed, ${s.concurrency} conns`, closed, s.seconds, rssMiB(pid)));
        const open = await sampled(pid, () => openLoop(client, s.rate, s.seconds));
        rows.push(row(name, `open, ${s.rate} req/s`, open, s.seconds, rssMiB(pid)));
      } finally {
        client.close();
      }
    }
    console.table(rows);
  } finally {
    for (const injector of running) await injector.proc.stop();
    await sentryStop?.();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
