// bench/sentry: SignCertificate over gRPC/TLS, our sentry against the upstream Go sentry v1.18.3
// in the same run. Both run as their own process in self-hosted mode (insecure validator) over
// the same CA bundle; only one is loaded at a time, so they never compete for the two cores.
//
// Each of C clients is one daprd: its own channel (TLS, authorizing sentry by its SPIFFE id),
// then back-to-back requests, each with a fresh Ed25519 key and CSR as daprd makes them. After a
// warm-up, D seconds are timed: throughput, p50, p99, failures, the server's CPU time per signed
// certificate (what the server costs, whatever the client side can drive) and its RSS at the end.
// The client side (key, CSR, grpc-js) runs in this process, identical for both servers.
//
// Rounds alternate Go and ours (Go first in odd rounds, ours in even ones) and each row gives the
// median over the rounds: a machine whose other load drifts during the run then tilts neither.
//
// Usage: node dist/bench/sentry/run.js [--clients=1,32,256] [--seconds=5] [--rounds=3]
//        [--only=go|ts] [--profile=<dir>]   (ours runs with --cpu-prof into <dir>)
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
  readonly rounds: number;
  readonly only: Which | undefined;
  readonly profileDir: string | undefined;
}

function settings(argv: readonly string[]): Settings {
  const value = (name: string): string | undefined =>
    argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const only = value('only');
  return {
    clients: (value('clients') ?? '1,32,256').split(',').map(Number),
    seconds: Number(value('seconds') ?? 5),
    rounds: Number(value('rounds') ?? 3),
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

const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

const LABEL: Readonly<Record<Which, string>> = { go: 'Go 1.18.3', ts: 'ours' };

/** One row: the median of each figure over the rounds, failures summed. */
function row(which: Which, clients: number, results: readonly LoadResult[], rss: number): Row {
  return {
    sentry: LABEL[which],
    clients,
    'signed/s': Math.round(median(results.map((r) => r.perSecond))),
    'p50 ms': Number(median(results.map((r) => r.p50Ms)).toFixed(2)),
    'p99 ms': Number(median(results.map((r) => r.p99Ms)).toFixed(2)),
    failed: results.reduce((sum, r) => sum + r.failures, 0),
    'server CPU µs/cert': Math.round(median(results.map((r) => r.serverCpuUs))),
    'RSS MiB': rss,
  };
}

/** `rounds` loads of each sentry with `clients` clients, the order alternating per round. */
async function alternatingRounds(
  sentries: ReadonlyMap<Which, RunningSentry>,
  anchors: Buffer,
  clients: number,
  s: Settings,
): Promise<Map<Which, LoadResult[]>> {
  const which = [...sentries.keys()];
  const results = new Map<Which, LoadResult[]>(which.map((w) => [w, []]));
  for (let round = 0; round < s.rounds; round++) {
    for (const w of round % 2 === 0 ? which : [...which].reverse()) {
      const r = await load(sentries.get(w)!, anchors, clients, s.seconds);
      results.get(w)!.push(r);
      console.error(
        `[bench/sentry] ${w} ${clients} clients, round ${round + 1}: ${Math.round(r.perSecond)}/s, ` +
          `p99 ${r.p99Ms.toFixed(1)} ms, ${Math.round(r.serverCpuUs)} µs/cert`,
      );
      if (r.firstFailure !== undefined) console.error(`[bench/sentry] first failure: ${r.firstFailure}`);
    }
  }
  return results;
}

/** Every client count against each sentry, started and stopped here. */
async function benchSentries(
  which: readonly Which[],
  s: Settings,
  dir: string,
  credentials: string,
): Promise<Row[]> {
  const sentries = new Map<Which, RunningSentry>();
  const rows: Row[] = [];
  try {
    for (const w of which) sentries.set(w, await startSentry(w, dir, credentials, s.profileDir));
    const anchors = readFileSync(join(credentials, 'ca.crt'));
    for (const clients of s.clients) {
      const results = await alternatingRounds(sentries, anchors, clients, s);
      for (const [w, r] of results) rows.push(row(w, clients, r, rssMiB(sentries.get(w)!.process.pid)));
    }
  } finally {
    for (const sentry of sentries.values()) await sentry.process.stop();
  }
  // Grouped by server (every Go row, then ours), as the table reads best.
  return which.flatMap((w) => rows.filter((r) => r.sentry === LABEL[w]));
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
    rows.push(...(await benchSentries(s.only !== undefined ? [s.only] : ['go', 'ts'], s, dir, credentials)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `SignCertificate over gRPC/TLS, fresh Ed25519 key per request: median of ${s.rounds} alternating ` +
      `rounds of ${s.seconds} s`,
  );
  console.table(rows);
}

await main();
