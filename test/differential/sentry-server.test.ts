// Differential test against the upstream Go sentry v1.18.3 (built from the dapr Go module by
// test/deps/fetch.sh): for the same CSR key type and identity, both sentries' leaves read the
// same in Go (extensions and criticality, SANs, key usages, validity window), and each side
// accepts the CA bundle the other generated.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from '../../kit/testing/ports.js';
import { cacheDir, fetchScript, pinnedVersions } from '../deps/paths.js';
import { ManagedProcess } from '../../kit/testing/managed-process.js';
import { generateBundle, loadBundle, type X509Bundle } from '../../sentry/ca/bundle.js';
import { buildX509Check, type X509Check } from '../harness/x509check.js';
import { startTestSentry, type TestSentry } from '../../sentry/server/testing/test-sentry.js';

const run = promisify(execFile);
const TRUST_DOMAIN = 'cluster.local';
const NAMESPACE = 'dapr-system';
const SENTRY_ID = `spiffe://${TRUST_DOMAIN}/ns/${NAMESPACE}/dapr-sentry`;

/** The upstream sentry binary, built on first use (minutes, once; cached by fetch.sh). */
async function upstreamSentry(): Promise<string> {
  const binary = join(cacheDir, `dapr-${pinnedVersions().DAPR_VERSION ?? ''}`, 'sentry');
  if (!existsSync(binary)) {
    await run('bash', [fetchScript, 'dapr-control-plane'], { timeout: 20 * 60_000 }).catch(
      (err: { stderr?: string; message: string }) => {
        throw new Error(
          `cannot build the upstream sentry (test/deps/fetch.sh dapr-control-plane): ${err.stderr ?? err.message}`,
        );
      },
    );
  }
  return binary;
}

interface GoSentry {
  readonly process: ManagedProcess;
  readonly address: string;
  readonly credentials: string;
}

/** Starts the Go sentry (self-hosted, insecure validator) over `credentials` and waits for /healthz. */
async function startGoSentry(binary: string, bundle?: X509Bundle): Promise<GoSentry> {
  const dir = mkdtempSync(join(tmpdir(), 'go-sentry-'));
  const credentials = join(dir, 'credentials');
  await run('mkdir', ['-p', credentials]);
  if (bundle !== undefined) {
    writeFileSync(join(credentials, 'ca.crt'), bundle.trustAnchorsPem);
    writeFileSync(join(credentials, 'issuer.crt'), bundle.issuerChainPem);
    writeFileSync(join(credentials, 'issuer.key'), bundle.issuerKeyPem);
  }
  writeFileSync(
    join(dir, 'config.yaml'),
    'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: daprsystem\nspec:\n  mtls:\n    enabled: true\n    workloadCertTTL: 24h\n    allowedClockSkew: 15m\n',
  );
  const [port, healthz, metrics] = (await freePorts(3)) as [number, number, number];
  const process = await ManagedProcess.start({
    name: 'upstream-sentry',
    command: binary,
    args: [
      '--issuer-credentials',
      credentials,
      '--config',
      join(dir, 'config.yaml'),
      '--trust-domain',
      TRUST_DOMAIN,
      '--port',
      String(port),
      '--listen-address',
      '127.0.0.1',
      '--healthz-port',
      String(healthz),
      '--metrics-port',
      String(metrics),
    ],
    env: { NAMESPACE },
    logFile: join(dir, 'sentry.log'),
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${healthz}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (!process.running || Date.now() > deadline) {
      await process.stop();
      throw new Error(`the upstream sentry did not become healthy:\n${process.logTail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process, address: `127.0.0.1:${port}`, credentials };
}

function readBundle(credentials: string): X509Bundle {
  const read = (name: string): Buffer => readFileSync(join(credentials, name));
  return loadBundle({
    trustAnchors: read('ca.crt'),
    issuerChain: read('issuer.crt'),
    issuerKey: read('issuer.key'),
  });
}

let tool: X509Check;
let goSentry: GoSentry;
let ours: TestSentry;
let shared: X509Bundle;

beforeAll(async () => {
  const [binary, built] = await Promise.all([upstreamSentry(), buildX509Check()]);
  tool = built;
  goSentry = await startGoSentry(binary);
  // Our sentry takes over the bundle the Go sentry generated: both sign with the same issuer.
  shared = readBundle(goSentry.credentials);
  ours = await startTestSentry({ trustDomain: TRUST_DOMAIN, namespace: NAMESPACE, bundle: shared });
}, 25 * 60_000);

afterAll(async () => {
  await ours?.stop();
  await goSentry?.process.stop();
  if (goSentry !== undefined) rmSync(dirname(goSentry.credentials), { recursive: true, force: true });
  tool?.dispose();
});

type Facts = Record<string, unknown> & { leaf: Record<string, unknown> };

async function sign(address: string, args: readonly string[]): Promise<Facts> {
  const f = tool.files({ 'roots.pem': shared.trustAnchorsPem });
  return (await tool.run([
    'sign',
    '-addr',
    address,
    '-roots',
    f['roots.pem']!,
    '-sentry-id',
    SENTRY_ID,
    ...args,
  ])) as Facts;
}

/** Everything but what is random or time-dependent; the validity window is compared as a duration. */
function comparable(facts: Facts): Record<string, unknown> {
  const { leaf, ...rest } = facts;
  const stable: Record<string, unknown> = { ...leaf };
  delete stable.serialBits;
  delete stable.notBefore;
  delete stable.notAfter;
  const validityMs = Date.parse(leaf.notAfter as string) - Date.parse(leaf.notBefore as string);
  return { ...rest, leaf: stable, validityMs };
}

describe('differential: our leaves vs the upstream Go sentry’s, for the same request', () => {
  it.each([
    ['a daprd sidecar (Ed25519)', ['-key', 'ed25519']],
    ['an old daprd (ECDSA P-256)', ['-key', 'ecdsa', '-app-id', 'legacy', '-namespace', 'apps']],
    [
      'the operator (RSA), with its webhook DNS name',
      ['-key', 'rsa', '-app-id', 'dapr-operator', '-namespace', NAMESPACE, '-trust-domain', TRUST_DOMAIN],
    ],
    [
      'the injector (RSA), with its DNS name',
      ['-key', 'rsa', '-app-id', 'dapr-injector', '-namespace', NAMESPACE, '-trust-domain', TRUST_DOMAIN],
    ],
    [
      'the scheduler, with its three peer names',
      [
        '-key',
        'ed25519',
        '-app-id',
        'dapr-scheduler',
        '-namespace',
        NAMESPACE,
        '-trust-domain',
        TRUST_DOMAIN,
      ],
    ],
    [
      'placement (no DNS names)',
      [
        '-key',
        'ed25519',
        '-app-id',
        'dapr-placement',
        '-namespace',
        NAMESPACE,
        '-trust-domain',
        TRUST_DOMAIN,
      ],
    ],
  ])('%s', async (_name, args) => {
    const [theirs, mine] = await Promise.all([sign(goSentry.address, args), sign(ours.address, args)]);
    expect(Object.keys(comparable(mine).leaf as object)).toEqual(
      expect.arrayContaining(['extensions', 'keyUsage', 'uris', 'dnsNames']),
    );
    expect(comparable(mine)).toEqual(comparable(theirs));
    const skew = Math.abs(
      Date.parse(mine.leaf.notBefore as string) - Date.parse(theirs.leaf.notBefore as string),
    );
    expect(skew).toBeLessThan(5_000);
  });
});

describe('differential: CA bundles are interchangeable', () => {
  it('the upstream Go sentry starts on a bundle we generated, and issues under it', async () => {
    const binary = await upstreamSentry();
    const ourBundle = generateBundle({
      trustDomain: TRUST_DOMAIN,
      controlPlaneNamespace: NAMESPACE,
      allowedClockSkewMs: 15 * 60_000,
    });
    const other = await startGoSentry(binary, ourBundle);
    try {
      const f = tool.files({ 'roots.pem': ourBundle.trustAnchorsPem });
      const out = await tool.run([
        'sign',
        '-addr',
        other.address,
        '-roots',
        f['roots.pem']!,
        '-sentry-id',
        SENTRY_ID,
      ]);
      expect(out).toMatchObject({ chainLength: 2, leaf: { spiffeId: 'spiffe://public/ns/default/myapp' } });
      // It kept our files rather than generating its own.
      expect(readFileSync(join(other.credentials, 'ca.crt'))).toEqual(ourBundle.trustAnchorsPem);
    } finally {
      await other.process.stop();
      rmSync(dirname(other.credentials), { recursive: true, force: true });
    }
  });
});
