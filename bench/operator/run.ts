// bench/operator (issue #6): our operator and upstream's Go operator v1.18.3 side by side in one
// run, against one real apiserver, with SVIDs from our sentry.
//   1. Propagation: N daprd-style ComponentUpdate streams (N = 100, 1000 by default), all with a
//      workload SVID for one app; the time from the PUT of a Component change until the event
//      has reached every stream (median and worst of several changes).
//   2. Memory (measured first, on idle operators): each one's RSS before and after 10 000 Pods
//      without Dapr appear in the cluster (they are never scheduled: no node runs them).
// Usage: node dist/bench/operator/run.js [--pods=10000] [N ...]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daprdStartup, OperatorConnection, type EventRecorder } from '../../operator/testing/daprd-client.js';
import { startTestCluster } from '../../test/cluster/cluster.js';
import { runId } from '../../kit/testing/managed-process.js';
import { coreApi, ensureNamespace } from '../../test/harness/kube-objects.js';
import {
  apply,
  daprdIdentity,
  OPERATOR_ID,
  startControlPlane,
  startOperator,
  stopControlPlane,
  type ControlPlane,
  type OperatorProcess,
} from '../../test/integration/operator/support.js';
import { rssMiB } from '../../test/harness/service-probes.js';

const NS = 'bench';
const STREAMS_PER_CONNECTION = 100;
const CHANGES = 5;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function component(version: number): Record<string, unknown> {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'statestore', namespace: NS },
    spec: {
      type: 'state.redis',
      version: 'v1',
      metadata: [
        { name: 'redisHost', value: `redis-${version}:6379` },
        { name: 'redisPassword', secretKeyRef: { name: 'redis', key: 'password' } },
      ],
    },
  };
}

async function waitAll(streams: EventRecorder[], count: number, timeoutMs: number): Promise<void> {
  await Promise.all(streams.map((s) => s.until((r) => r.events.length >= count, timeoutMs)));
}

interface Propagation {
  readonly medianMs: number;
  readonly worstMs: number;
}

let version = 1;

async function propagation(
  cp: ControlPlane,
  op: OperatorProcess,
  n: number,
  identity: Awaited<ReturnType<typeof daprdIdentity>>,
): Promise<Propagation> {
  const connections: OperatorConnection[] = [];
  const streams: EventRecorder[] = [];
  try {
    for (let i = 0; i < n; i++) {
      if (i % STREAMS_PER_CONNECTION === 0)
        connections.push(
          new OperatorConnection({ ...identity, address: op.address, operatorId: OPERATOR_ID }),
        );
      streams.push(connections.at(-1)!.stream('ComponentUpdate', NS));
    }
    // Upstream sends no headers until the first event: a warm-up change proves every stream is
    // registered on both servers.
    await sleep(1_000);
    await apply(cp.kube, component(++version));
    await waitAll(streams, 1, 60_000);
    const times: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const expected = streams[0]!.events.length + 1;
      const start = performance.now();
      await apply(cp.kube, component(++version));
      await waitAll(streams, expected, 60_000);
      times.push(Math.max(...streams.map((s) => s.events[expected - 1]!.at)) - start);
      await sleep(200);
    }
    times.sort((a, b) => a - b);
    return { medianMs: Math.round(times[Math.floor(times.length / 2)]!), worstMs: Math.round(times.at(-1)!) };
  } finally {
    for (const c of connections) c.close();
  }
}

async function createPods(cp: ControlPlane, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await cp.kube.request(`/api/v1/namespaces/filler/pods`, {
        method: 'POST',
        body: {
          metadata: {
            name: `plain-${i}`,
            labels: { app: 'plain' },
            annotations: { 'example.com/note': 'not dapr' },
          },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
        },
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const pods = Number(args.find((a) => a.startsWith('--pods='))?.slice(7) ?? 10_000);
  const sizes = args.filter((a) => !a.startsWith('--')).map(Number);
  if (sizes.length === 0) sizes.push(100, 1000);

  const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-bench-operator-`));
  const cluster = await startTestCluster();
  let cp: ControlPlane | undefined;
  const ops: Record<string, OperatorProcess> = {};
  try {
    cp = await startControlPlane(cluster, dir);
    for (const ns of [NS, 'filler']) await ensureNamespace(coreApi(cluster), ns);
    await apply(cp.kube, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'redis', namespace: NS },
      data: { password: Buffer.from('secret').toString('base64') },
    });
    await apply(cp.kube, component(version));
    const identity = await daprdIdentity(cp, NS, 'benchapp');
    [ops.ts, ops.go] = await Promise.all([
      startOperator(cp, 'ts', ['--log-level', 'info']),
      startOperator(cp, 'go', ['--log-level', 'info']),
    ]);
    const results: Record<string, unknown> = {};
    // Memory first, on idle operators: after both have listed, then with the pods added. One
    // daprd-style sidecar runs its whole startup against each first, so that upstream (whose
    // controller-runtime informers, the pod metadata one included, start on first use) watches
    // everything ours does.
    const sidecars = await Promise.all(
      ['ts', 'go'].map((which) =>
        daprdStartup({ ...identity, address: ops[which]!.address, operatorId: OPERATOR_ID, namespace: NS }),
      ),
    );
    await sleep(5_000);
    const before = { ts: rssMiB(ops.ts.proc.pid), go: rssMiB(ops.go.proc.pid) };
    console.log(`RSS idle: ts ${before.ts} MiB, go ${before.go} MiB`);
    const t0 = Date.now();
    await createPods(cp, pods);
    console.log(`${pods} pods created in ${Math.round((Date.now() - t0) / 1000)} s`);
    await sleep(15_000); // both have watched them all by now
    const after = { ts: rssMiB(ops.ts.proc.pid), go: rssMiB(ops.go.proc.pid) };
    console.log(`RSS with ${pods} non-Dapr pods: ts ${after.ts} MiB, go ${after.go} MiB`);
    results.rss = { pods, before, after };
    for (const s of sidecars) s.runtime.close();
    for (const n of sizes) {
      for (const which of ['ts', 'go']) {
        const p = await propagation(cp, ops[which]!, n, identity);
        results[`propagation N=${n} ${which}`] = p;
        console.log(`propagation N=${n} ${which}: median ${p.medianMs} ms, worst ${p.worstMs} ms`);
      }
    }
    results.rssAfterStreams = { ts: rssMiB(ops.ts.proc.pid), go: rssMiB(ops.go.proc.pid) };
    console.log(
      `RSS after the stream runs: ts ${(results.rssAfterStreams as { ts: number }).ts} MiB, go ${(results.rssAfterStreams as { go: number }).go} MiB`,
    );
    console.log(JSON.stringify(results));
  } finally {
    for (const op of Object.values(ops)) await op.proc.stop();
    await stopControlPlane(cp);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
