// bench/memory (issue #18 item 2): the resident memory of our four services as four processes,
// of the all-in-one process, and of upstream's four Go services v1.18.3, in one run against one
// real apiserver. Idle: every process healthy, then 5 s of quiet. Loaded: after the load below
// (the streams stay open while measuring). The operators all watch the same cluster, so the
// pods are created once and load every operator alike.
// Usage: node dist/bench/memory/run.js
import { AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { Client, credentials } from '@grpc/grpc-js';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenValidator } from '../../kit/proto/sentry.js';
import { SentryClient } from '../../kit/security/sentry-client.js';
import { ManagedProcess, runId } from '../../kit/testing/managed-process.js';
import { startHealthyService, waitHealthy } from '../../kit/testing/service-binary.js';
import { createCsrPem } from '../../kit/x509/csr-builder.js';
import { startTestCluster } from '../../test/cluster/cluster.js';
import { daprBinDir } from '../../test/deps/paths.js';
import { startAllInOne } from '../../test/harness/all-in-one.js';
import {
  coreApi,
  createPod,
  ensureNamespace,
  ensureServiceAccount,
  podToken,
} from '../../test/harness/kube-objects.js';
import { freePorts } from '../../test/harness/ports.js';
import { controlPlaneTokenFile, sentryId, SKIP_UID_CHECK } from '../../test/harness/sentry-in-cluster.js';
import { rssMiB } from '../../test/harness/service-probes.js';
import {
  AdmissionClient,
  podReview,
  startInjector,
  webhookConfiguration,
} from '../../test/integration/injector/support.js';
import {
  CP_NS,
  startControlPlane,
  startOperator,
  stopControlPlane,
  type ControlPlane,
} from '../../test/integration/operator/support.js';
import { Daprd } from '../placement/daprd.js';

const LOAD = { signs: 100, streams: 50, pods: 200, reviews: 200 };
const NS = 'bench';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Service = 'sentry' | 'placement' | 'operator' | 'injector';
const SERVICES: readonly Service[] = ['sentry', 'placement', 'operator', 'injector'];

interface Measured {
  readonly name: string;
  readonly pid: number;
  readonly stop: () => Promise<void>;
  idle?: number;
  loaded?: number;
}

/** `n` SignCertificate calls with a fresh key each, 8 at a time, with one bound token. */
async function signMany(address: string, anchors: Buffer, token: string, n: number): Promise<void> {
  const client = new SentryClient({ address, trustAnchorsPem: anchors, sentryId: sentryId(CP_NS) });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next++ < n) {
      await client.signCertificate({
        id: 'benchapp',
        namespace: NS,
        trustDomain: '',
        token,
        tokenValidator: TokenValidator.KUBERNETES,
        certificateSigningRequest: createCsrPem(generateKeyPairSync('ed25519').privateKey),
        jwtAudiences: [],
      });
    }
  };
  try {
    await Promise.all(Array.from({ length: 8 }, worker));
  } finally {
    client.close();
  }
}

/** `n` daprd-style placement streams (plaintext, as every placement here runs), left open. */
async function openStreams(address: string, n: number): Promise<() => void> {
  const client = new Client(address, credentials.createInsecure());
  const daprds = Array.from(
    { length: n },
    (_, i) => new Daprd(client, `10.0.${i >> 8}.${i & 255}:50002`, i % 10 === 9 ? [] : ['X', 'Y']),
  );
  const deadline = Date.now() + 60_000;
  while (!daprds.every((d) => d.unlocked >= 0 || d.failed)) {
    if (Date.now() > deadline) throw new Error(`the ${n} streams to ${address} did not settle`);
    await sleep(50);
  }
  return () => {
    for (const d of daprds) d.close();
    client.close();
  };
}

async function reviews(port: number, anchors: Buffer, n: number): Promise<void> {
  const client = new AdmissionClient(port, anchors, 8);
  const pod = {
    metadata: {
      name: 'app',
      namespace: NS,
      annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'app' },
    },
    spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  };
  try {
    for (let i = 0; i < n; i += 8) {
      await Promise.all(
        Array.from({ length: Math.min(8, n - i) }, async (_, k) => {
          const answer = await client.post(podReview(`memory-${port}-${i + k}`, pod, { namespace: NS }));
          if (answer.status !== 200)
            throw new Error(`admission review: ${answer.status} ${answer.body.slice(0, 200)}`);
        }),
      );
    }
  } finally {
    client.close();
  }
}

async function createPods(cp: ControlPlane, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await cp.kube.request(`/api/v1/namespaces/${NS}/pods`, {
        method: 'POST',
        body: {
          metadata: { name: `plain-${i}`, labels: { app: 'plain' } },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1' }] },
        },
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

async function startGoSentry(cp: ControlPlane, dir: string): Promise<{ proc: ManagedProcess; port: number }> {
  const [port = 0, healthz = 0, metrics = 0] = await freePorts(3);
  // In Kubernetes mode the CA is the Secret, but the Go sentry still watches this folder.
  const credentials = join(dir, 'go-sentry-credentials');
  mkdirSync(credentials);
  const proc = await ManagedProcess.start({
    name: 'go-sentry',
    command: join(daprBinDir(), 'sentry'),
    args: [
      ...['--mode', 'kubernetes', '--trust-domain', 'cluster.local', '--port', String(port)],
      ...['--healthz-port', String(healthz), '--metrics-port', String(metrics)],
      ...['--kubeconfig', cp.cluster.kubeconfigPath, '--issuer-credentials', credentials],
    ],
    env: { NAMESPACE: CP_NS, ...SKIP_UID_CHECK },
    logFile: join(dir, 'go-sentry.log'),
  });
  await waitHealthy(proc, healthz, 'the Go sentry to become healthy', 60_000);
  return { proc, port };
}

async function startGoPlacement(dir: string): Promise<{ proc: ManagedProcess; port: number }> {
  const [port = 0, healthz = 0, metrics = 0, raft = 0] = await freePorts(4);
  const proc = await ManagedProcess.start({
    name: 'go-placement',
    command: join(daprBinDir(), 'placement'),
    args: [
      `--port=${port}`,
      `--healthz-port=${healthz}`,
      `--metrics-port=${metrics}`,
      `--initial-cluster=dapr-placement-0=127.0.0.1:${raft}`,
      '--listen-address=127.0.0.1',
    ],
    logFile: join(dir, 'go-placement.log'),
  });
  await waitHealthy(proc, healthz, 'the Go placement to become healthy', 60_000);
  return { proc, port };
}

const fmt = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(1));

function table(rows: Record<string, Measured>): string {
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(22) : c.padStart(10))).join('');
  const out = [line(['RSS MiB', 'ts idle', 'ts loaded', 'go idle', 'go loaded'])];
  const sum = (kind: 'ts' | 'go', field: 'idle' | 'loaded'): number =>
    SERVICES.reduce((n, s) => n + (rows[`${kind}-${s}`]?.[field] ?? 0), 0);
  for (const s of SERVICES) {
    const ts = rows[`ts-${s}`];
    const go = rows[`go-${s}`];
    out.push(line([s, fmt(ts?.idle), fmt(ts?.loaded), fmt(go?.idle), fmt(go?.loaded)]));
  }
  out.push(
    line([
      'four processes, sum',
      fmt(sum('ts', 'idle')),
      fmt(sum('ts', 'loaded')),
      fmt(sum('go', 'idle')),
      fmt(sum('go', 'loaded')),
    ]),
  );
  const aio = rows['all-in-one'];
  out.push(line(['all-in-one (ts)', fmt(aio?.idle), fmt(aio?.loaded), '', '']));
  return out.join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-bench-memory-`));
  const cluster = await startTestCluster();
  let cp: ControlPlane | undefined;
  const rows: Record<string, Measured> = {};
  const closers: Array<() => void> = [];
  try {
    // Our sentry (measured as ts-sentry) is the CA the separate services get their SVIDs from.
    cp = await startControlPlane(cluster, dir);
    const core = coreApi(cluster);
    await ensureNamespace(core, NS);
    await cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api).createMutatingWebhookConfiguration({
      body: webhookConfiguration({ namespace: CP_NS, name: 'dapr-sidecar-injector' }),
    });
    const add = (name: string, proc: ManagedProcess): void => {
      rows[name] = {
        name,
        pid: proc.pid,
        stop: async () => {
          await proc.stop();
        },
      };
    };
    add('ts-sentry', cp.sentry.proc);
    const goSentry = await startGoSentry(cp, dir);
    add('go-sentry', goSentry.proc);

    const [tsPlacementPort = 0] = await freePorts(1);
    const tsPlacement = await startHealthyService('placement', {
      args: ['--port', String(tsPlacementPort)],
      logFile: join(dir, 'ts-placement.log'),
    });
    add('ts-placement', tsPlacement.proc);
    const goPlacement = await startGoPlacement(dir);
    add('go-placement', goPlacement.proc);

    const operatorArgs = ['--log-level', 'info'];
    const [tsOperator, goOperator] = await Promise.all([
      startOperator(cp, 'ts', operatorArgs),
      startOperator(cp, 'go', operatorArgs),
    ]);
    add('ts-operator', tsOperator.proc);
    add('go-operator', goOperator.proc);

    const injectorPlane = {
      sentry: cp.sentry,
      anchorsFile: cp.anchorsFile,
      tokenFile: await controlPlaneTokenFile(core, dir, {
        namespace: CP_NS,
        service: 'injector',
        serviceAccount: 'dapr-injector',
        podName: 'dapr-sidecar-injector-0',
      }),
    };
    const tsInjector = await startInjector('ours', cluster, injectorPlane, dir);
    const goInjector = await startInjector('go', cluster, injectorPlane, dir);
    add('ts-injector', tsInjector.proc);
    add('go-injector', goInjector.proc);

    // The all-in-one process with the same settings as the separate ones (placement in
    // plaintext, the operator without leader election and Service reconciler, as startOperator).
    const aioDir = join(dir, 'aio');
    mkdirSync(aioDir);
    const aio = await startAllInOne({
      cluster,
      dir: aioDir,
      namespace: CP_NS,
      anchorsFile: cp.anchorsFile,
      placementTls: false,
      groupArgs: { operator: ['--disable-leader-election', '--disable-service-reconciler'] },
    });
    add('all-in-one', aio.proc);

    await sleep(5_000);
    for (const m of Object.values(rows)) m.idle = rssMiB(m.pid);

    // The load.
    await ensureServiceAccount(core, NS, 'benchapp');
    const pod = await createPod(core, {
      namespace: NS,
      name: 'benchapp-pod',
      serviceAccount: 'benchapp',
      annotations: { 'dapr.io/app-id': 'benchapp' },
    });
    const token = await podToken(core, pod, [sentryId(CP_NS)]);
    for (const address of [cp.sentry.address, `127.0.0.1:${goSentry.port}`, `127.0.0.1:${aio.ports.sentry}`])
      await signMany(address, cp.anchors, token, LOAD.signs);
    for (const port of [tsPlacementPort, goPlacement.port, aio.ports.placement])
      closers.push(await openStreams(`127.0.0.1:${port}`, LOAD.streams));
    await createPods(cp, LOAD.pods);
    for (const port of [tsInjector.port, goInjector.port, aio.ports.injector])
      await reviews(port, cp.anchors, LOAD.reviews);
    await sleep(3_000);
    for (const m of Object.values(rows)) m.loaded = rssMiB(m.pid);

    process.stdout.write(
      `bench/memory: resident set (VmRSS) in MiB, one run, one apiserver. Idle: healthy + 5 s. Loaded: ` +
        `${LOAD.signs} SignCertificate (fresh Ed25519 key each) per sentry, ${LOAD.streams} daprd placement streams ` +
        `held open per placement, ${LOAD.pods} pods created (watched by every operator), ` +
        `${LOAD.reviews} AdmissionReviews per injector. The all-in-one process got all four loads.\n\n`,
    );
    process.stdout.write(`${table(rows)}\n`);
  } finally {
    for (const close of closers) close();
    for (const m of Object.values(rows)) if (m.name !== 'ts-sentry') await m.stop();
    await stopControlPlane(cp);
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
