// Sentry in self-hosted mode, as `node dist/sentry/main.js`: its CA in --issuer-credentials, the
// --config file's mTLS settings, the insecure validator, a user's CA made with openssl, a rotation
// written to the files, and the startup errors for what it does not support.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBundle } from '../../../sentry/ca/bundle.js';
import { opensslCa } from '../../../sentry/ca/testing/openssl-ca.js';
import { buildX509Check, type X509Check } from '../../harness/x509check.js';
import { binaryPath } from '../../../kit/testing/service-binary.js';
import { ManagedProcess, runId } from '../../../kit/testing/managed-process.js';
import { freePorts } from '../../harness/ports.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { metricValue, scrape } from '../../harness/service-probes.js';
import { waitHealthy } from '../../../kit/testing/service-binary.js';

const SENTRY_ID = 'spiffe://localhost/ns/default/dapr-sentry';

interface Standalone {
  readonly proc: ManagedProcess;
  readonly address: string;
  readonly metricsPort: number;
}

interface Leaf {
  readonly spiffeId: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

describe('sentry in self-hosted mode', () => {
  let dir: string;
  let x509: X509Check;
  const running: ManagedProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-sentry-standalone-`));
    x509 = await buildX509Check(dir);
  }, 120_000);

  afterAll(async () => {
    for (const p of running) await p.stop();
    x509?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function start(name: string, args: readonly string[]): Promise<ManagedProcess & { ports: number[] }> {
    const ports = await freePorts(3);
    const proc = await ManagedProcess.start({
      name,
      command: process.execPath,
      args: [
        binaryPath('sentry'),
        '--port',
        String(ports[0]),
        '--healthz-port',
        String(ports[1]),
        '--metrics-port',
        String(ports[2]),
        ...args,
      ],
      env: { NAMESPACE: undefined },
      logFile: join(dir, `${name}.log`),
    });
    running.push(proc);
    return Object.assign(proc, { ports });
  }

  async function startHealthy(name: string, args: readonly string[]): Promise<Standalone> {
    const proc = await start(name, args);
    const [port, healthzPort, metricsPort] = proc.ports as [number, number, number];
    await waitHealthy(proc, healthzPort, `${name} healthy`);
    return { proc, address: `127.0.0.1:${port}`, metricsPort };
  }

  /** As daprd in self-hosted mode: no token, no validator (the server's default). */
  async function sign(sentry: Standalone, roots: string | Buffer, trustDomain?: string): Promise<Leaf> {
    const files = x509.files({ 'ca.crt': roots });
    const out = await x509.run([
      'sign',
      '-addr',
      sentry.address,
      '-roots',
      files['ca.crt']!,
      '-sentry-id',
      SENTRY_ID,
      '-app-id',
      'myapp',
      '-namespace',
      'default',
      ...(trustDomain === undefined ? [] : ['-trust-domain', trustDomain]),
    ]);
    return out.leaf as Leaf;
  }

  it('generates its CA into --issuer-credentials, honours --config, and rotates when the files change', async () => {
    const credentials = join(dir, 'credentials');
    mkdirSync(credentials);
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      'kind: Configuration\nspec:\n  mtls:\n    workloadCertTTL: ${TTL}\n    allowedClockSkew: 1m\n',
    );
    const sentry = await startHealthy('generated', ['--issuer-credentials', credentials, '--config', config]);
    expect(sentry.proc.logTail(100)).toContain(`Using file ${config}`);
    const anchors = readFileSync(join(credentials, 'ca.crt'));

    const leaf = await sign(sentry, anchors);
    expect(leaf.spiffeId).toBe('spiffe://public/ns/default/myapp');
    // TTL from the file ($TTL is not set: the default 24h), skew 1m.
    expect(Date.parse(leaf.notAfter) - Date.parse(leaf.notBefore)).toBe(24 * 3_600_000 + 60_000);
    expect((await sign(sentry, anchors, 'example.org')).spiffeId).toBe(
      'spiffe://example.org/ns/default/myapp',
    );

    const rotated = generateBundle({
      trustDomain: 'localhost',
      controlPlaneNamespace: 'default',
      allowedClockSkewMs: 0,
    });
    writeFileSync(join(credentials, 'issuer.key'), rotated.issuerKeyPem);
    writeFileSync(join(credentials, 'issuer.crt'), rotated.issuerChainPem);
    writeFileSync(join(credentials, 'ca.crt'), rotated.trustAnchorsPem);
    const after = await waitFor(() => sign(sentry, rotated.trustAnchorsPem), {
      what: 'the rotated CA to be in use',
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    expect(after.spiffeId).toBe('spiffe://public/ns/default/myapp');
    const metrics = await scrape(sentry.metricsPort);
    // One for generating, then at least one per changed file.
    expect(metricValue(metrics, 'dapr_sentry_issuercert_changed_total')).toBeGreaterThanOrEqual(2);
    expect(sentry.proc.logTail(200)).toContain('Issuer credentials changed; reloading');
    expect(await sentry.proc.stop()).toBe(0);
  });

  it('uses a CA the user made with openssl, without touching the files', async () => {
    const credentials = join(dir, 'user');
    mkdirSync(credentials);
    const ca = opensslCa('p256', 'p256');
    writeFileSync(join(credentials, 'ca.crt'), ca.rootPem);
    writeFileSync(join(credentials, 'issuer.crt'), ca.issuerPem);
    writeFileSync(join(credentials, 'issuer.key'), ca.issuerKeyPem);
    const sentry = await startHealthy('user-ca', ['--issuer-credentials', credentials]);
    expect((await sign(sentry, ca.rootPem)).spiffeId).toBe('spiffe://public/ns/default/myapp');
    expect(readFileSync(join(credentials, 'issuer.key'))).toEqual(ca.issuerKeyPem);
    expect(metricValue(await scrape(sentry.metricsPort), 'dapr_sentry_issuercert_changed_total')).toBe(0);
    expect(await sentry.proc.stop()).toBe(0);
  });

  it.each([
    [
      'a jwks validator without a source in --config',
      ['--config', 'jwks.yaml'],
      'the jwks validator needs the option',
    ],
    [
      '--jwt-enabled with a stored JWKS that lacks the key',
      ['--jwt-enabled'],
      "JWKS doesn't contain any keys",
    ],
    [
      'a partial CA in --issuer-credentials',
      ['--issuer-credentials', 'partial'],
      'has only part of the CA bundle',
    ],
  ])('exits 1 with a clear message for %s', async (_name, args, message) => {
    writeFileSync(join(dir, 'jwks.yaml'), 'spec:\n  mtls:\n    tokenValidators:\n      - name: jwks\n');
    const jwtKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    writeFileSync(join(dir, 'jwt.key'), jwtKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(dir, 'jwks.json'), '{"keys":[]}');
    mkdirSync(join(dir, 'partial'), { recursive: true });
    writeFileSync(
      join(dir, 'partial', 'ca.crt'),
      generateBundle({ trustDomain: 'localhost', controlPlaneNamespace: 'default', allowedClockSkewMs: 0 })
        .trustAnchorsPem,
    );
    const resolved = args.map((a) => (a.endsWith('.yaml') || a === 'partial' ? join(dir, a) : a));
    const creds = resolved.includes('--issuer-credentials') ? [] : ['--issuer-credentials', dir];
    const proc = await start(`fails-${args[0]}`, [...resolved, ...creds]);
    expect(await proc.exited).toBe(1);
    expect(proc.logTail(20)).toContain(message);
  });
});
