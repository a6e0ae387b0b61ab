// bench/sentry: SignCertificate over gRPC/TLS, our sentry against the upstream Go sentry v1.18.3
// in the same run. Both run as their own process in self-hosted mode (insecure validator) over
// the same CA bundle, one after the other so they never compete for the two cores.
//
// Each of C clients is one daprd: its own channel (TLS, authorizing sentry by its SPIFFE id),
// then back-to-back requests, each with a fresh Ed25519 key and CSR as daprd makes them. After a
// warm-up, D seconds are timed: throughput, p50, p99, failures, the server's CPU time per signed
// certificate (what the server costs, whatever the client side can drive) and its RSS at the end.
// The client side (key, CSR, grpc-js) runs in this process, identical for both servers.
//
// Usage: node dist/bench/sentry/run.js [--clients=1,32,256] [--seconds=10] [--only=go|ts]
//        [--profile=<dir>]   (ours runs with --cpu-prof into <dir>: open the .cpuprofile in DevTools)
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SentryClient } from '../../kit/security/sentry-client.js';
import { TokenValidator } from '../../kit/proto/sentry.js';
import { freePorts } from '../../kit/testing/ports.js';
import { createCsrPem } from '../../kit/x509/csr-builder.js';
import { daprBinDir, repoRoot } from '../../test/deps/paths.js';
import { generateBundle } from '../../sentry/ca/bundle.js';
import { ManagedProcess } from '../../kit/testing/managed-process.js';
import { cpuMs, percentile } from '../report.js';
import { rssMiB } from '../../test/harness/service-probes.js';

const TRUST_DOMAIN = 'cluster.local';
const NAMESPACE = 'dapr-system';
const SENTRY_ID = `spiffe://${TRUST_DOMAIN}/ns/${NAMESPACE}/dapr-sentry`;
const DAPRSYSTEM = `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: daprsystem
spec:
  mtls:
    enabled: true
    workloadCertTTL: 24h
    allowedClockSkew: 15m
`;

type Which = 'go' | 'ts';

interface Settings {
  readonly clients: readonly number[];
  readonly seconds: number;
  readonly only: Which | undefined;
  readonly profileDir: string | undefined;
}

function settings(argv: readonly string[]): Settings {
  const value = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = value('only');
  return {
    clients: (value('clients') ?? '1,32,256').split(',').map(Number),
    seconds: Number(value('seconds') ?? 10),
    only: only === 'go' || only === 'ts' ? only : undefined,
    profileDir: value('profile'),
  };
}

interface RunningSentry {
  readonly process: ManagedProcess;
  readonly address: string;
}

/** One sentry process over `credentials`, healthy, on loopback ports of its own. */
async function startSentry(
  which: Which,
  dir: string,
  credentials: string,
  profileDir?: string,
): Promise<RunningSentry> {
  const [port, healthz, metrics] = (await freePorts(3)) as [number, number, number];
  const flags = [
    `--issuer-credentials=${credentials}`,
    `--config=${join(dir, 'config.yaml')}`,
    `--trust-domain=${TRUST_DOMAIN}`,
    `--port=${port}`,
    '--listen-address=127.0.0.1',
    `--healthz-port=${healthz}`,
    `--metrics-port=${metrics}`,
    '--log-level=warn',
  ];
  const [command, args] =
    which === 'go'
      ? [join(daprBinDir(), 'sentry'), flags]
      : [
          process.execPath,
          [
            ...(profileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
            join(repoRoot, 'dist', 'sentry', 'main.js'),
            ...flags,
          ],
        ];
  const proc = await ManagedProcess.start({
    name: `sentry-${which}`,
    command,
    args,
    env: { NAMESPACE },
    logFile: join(dir, `sentry-${which}.log`),
  });
  await proc.waitUntilReady(
    () =>
      fetch(`http://127.0.0.1:${healthz}/healthz`).then(
        (r) => r.ok,
        () => false,
      ),
    { what: `the ${which} sentry's /healthz`, timeoutMs: 30_000, intervalMs: 100 },
  );
  // /healthz can answer before the gRPC listener accepts (the Go sentry's does): ready is the
  // first certificate signed.
  const anchors = readFileSync(join(credentials, 'ca.crt'));
  await proc.waitUntilReady(
    async () => {
      const client = new SentryClient({
        address: `127.0.0.1:${port}`,
        trustAnchorsPem: anchors,
        sentryId: SENTRY_ID,
      });
      try {
        return await signOnce(client, 'ready').then(
          () => true,
          () => false,
        );
      } finally {
        client.close();
      }
    },
    { what: `a first certificate from the ${which} sentry`, timeoutMs: 30_000, intervalMs: 100 },
  );
  return { process: proc, address: `127.0.0.1:${port}` };
}

/** daprd's request: a fresh Ed25519 key, its CSR, the insecure validator of self-hosted mode. */
function signOnce(client: SentryClient, appId: string): Promise<unknown> {
  const { privateKey } = generateKeyPairSync('ed25519');
  return client.signCertificate({
    id: appId,
    namespace: 'default',
    trustDomain: '',
    token: '',
    tokenValidator: TokenValidator.INSECURE,
    certificateSigningRequest: createCsrPem(privateKey),
    jwtAudiences: [],
  });
}

interface LoadResult {
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
  readonly firstFailure: string | undefined;
  /** The server's CPU time (user + system) per signed certificate: independent of the client. */
  readonly serverCpuUs: number;
}

/** C clients looping for `seconds` after a warm-up; latencies of the timed window only. */
async function load(
  server: RunningSentry,
  anchors: Buffer,
  clients: number,
  seconds: number,
): Promise<LoadResult> {
  const { address } = server;
  const channels = Array.from(
    { length: clients },
    () => new SentryClient({ address, trustAnchorsPem: anchors, sentryId: SENTRY_ID }),
  );
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let timing = false;
  let stop = false;
  const loop = async (client: SentryClient, i: number): Promise<void> => {
    while (!stop) {
      const start = performance.now();
      try {
        await signOnce(client, `app-${i}`);
        if (timing) latencies.push(performance.now() - start);
      } catch (err) {
        if (timing) failures++;
        firstFailure ??= (err as Error).message;
      }
    }
  };
  const loops = channels.map((c, i) => loop(c, i));
  await new Promise((r) => setTimeout(r, 2_000)); // warm-up: handshakes, JIT
  timing = true;
  const started = performance.now();
  const cpuBefore = cpuMs(server.process.pid);
  await new Promise((r) => setTimeout(r, seconds * 1_000));
  timing = false;
  const serverCpuMs = cpuMs(server.process.pid) - cpuBefore;
  const elapsed = (performance.now() - started) / 1_000;
  stop = true;
  await Promise.all(loops);
  for (const c of channels) c.close();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures,
    firstFailure,
    serverCpuUs: latencies.length > 0 ? (serverCpuMs * 1_000) / latencies.length : NaN,
  };
}

type Row = Record<string, string | number>;

/** Every client count against one sentry process, started and stopped here. */
async function benchSentry(which: Which, s: Settings, dir: string, credentials: string): Promise<Row[]> {
  const sentry = await startSentry(which, dir, credentials, s.profileDir);
  const rows: Row[] = [];
  try {
    const anchors = readFileSync(join(credentials, 'ca.crt'));
    for (const clients of s.clients) {
      const r = await load(sentry, anchors, clients, s.seconds);
      rows.push({
        sentry: which === 'go' ? 'Go 1.18.3' : 'ours',
        clients,
        'signed/s': Math.round(r.perSecond),
        'p50 ms': Number(r.p50Ms.toFixed(2)),
        'p99 ms': Number(r.p99Ms.toFixed(2)),
        failed: r.failures,
        'server CPU µs/cert': Math.round(r.serverCpuUs),
        'RSS MiB': rssMiB(sentry.process.pid),
      });
      console.error(`[bench/sentry] ${JSON.stringify(rows.at(-1))}`);
      if (r.firstFailure !== undefined) console.error(`[bench/sentry] first failure: ${r.firstFailure}`);
    }
  } finally {
    await sentry.process.stop();
  }
  return rows;
}

async function main(): Promise<void> {
  const s = settings(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'dapr-ts-bench-sentry-'));
  const credentials = join(dir, 'credentials');
  mkdirSync(credentials);
  writeFileSync(join(dir, 'config.yaml'), DAPRSYSTEM);
  const rows: Row[] = [];
  try {
    // Both load one bundle written beforehand: a sentry that generates its own bundle sees its
    // credential files appear and restarts its server (the Go sentry does), mid-benchmark.
    const bundle = generateBundle({
      trustDomain: TRUST_DOMAIN,
      controlPlaneNamespace: NAMESPACE,
      allowedClockSkewMs: 0,
    });
    writeFileSync(join(credentials, 'ca.crt'), bundle.trustAnchorsPem);
    writeFileSync(join(credentials, 'issuer.crt'), bundle.issuerChainPem);
    writeFileSync(join(credentials, 'issuer.key'), bundle.issuerKeyPem);
    for (const which of s.only !== undefined ? [s.only] : (['go', 'ts'] as const)) {
      rows.push(...(await benchSentry(which, s, dir, credentials)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`SignCertificate over gRPC/TLS, fresh Ed25519 key per request, ${s.seconds} s per row`);
  console.table(rows);
}

await main();
