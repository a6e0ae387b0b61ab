// The strongest proof of the profile short of running daprd: Go's own parsers (crypto/x509,
// go-spiffe's x509svid, grpc-go with go-spiffe TLS, as daprd 1.18.3 uses them) accept what we
// issue, serve and store.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateBundle, loadBundle } from '../../sentry/ca/bundle.js';
import { CertificateAuthority } from '../../sentry/ca/ca.js';
import { createCsrPem } from '../../kit/x509/csr-builder.js';
import { readCsr } from '../../sentry/ca/csr.js';
import { KEY_KINDS, privateKey } from '../../sentry/ca/testing/keys.js';
import { opensslCa } from '../../sentry/ca/testing/openssl-ca.js';
import { buildX509Check, type X509Check } from '../harness/x509check.js';
import { startTestSentry, type TestSentry } from '../../sentry/server/testing/test-sentry.js';

let tool: X509Check;
let sentry: TestSentry;

beforeAll(async () => {
  tool = await buildX509Check();
  sentry = await startTestSentry({ trustDomain: 'cluster.local', namespace: 'dapr-system' });
}, 300_000);

afterAll(async () => {
  await sentry?.stop();
  tool?.dispose();
});

const LEAF_PROFILE = {
  uris: ['spiffe://public/ns/default/myapp'],
  dnsNames: [],
  isCA: false,
  basicConstraintsValid: false,
  keyUsage: ['digitalSignature'],
  extKeyUsage: ['serverAuth', 'clientAuth'],
  serialPositive: true,
  subjectEmpty: true,
  subjectKeyId: '',
  extensions: [
    { oid: '2.5.29.15', critical: true },
    { oid: '2.5.29.37', critical: false },
    { oid: '2.5.29.35', critical: false },
    { oid: '2.5.29.17', critical: true },
  ],
};

describe('sentry §3 Go-parser constraints: x509svid.Verify accepts our leaves', () => {
  const bundle = generateBundle({
    trustDomain: 'cluster.local',
    controlPlaneNamespace: 'dapr-system',
    allowedClockSkewMs: 15 * 60_000,
  });
  const ca = new CertificateAuthority({
    bundle,
    workloadCertTtlMs: 3_600_000,
    allowedClockSkewMs: 15 * 60_000,
  });

  it.each(KEY_KINDS)('a leaf for a %s key, under the generated Ed25519 CA', async (kind) => {
    const signed = await ca.signIdentity({
      spki: (await readCsr(createCsrPem(privateKey(kind)))).spki,
      trustDomain: 'public',
      namespace: 'default',
      appId: 'myapp',
      dnsNames: [],
    });
    const f = tool.files({ 'chain.pem': signed.chainPem, 'roots.pem': bundle.trustAnchorsPem });
    const facts = await tool.run([
      'verify',
      '-chain',
      f['chain.pem']!,
      '-roots',
      f['roots.pem']!,
      '-id',
      'spiffe://public/ns/default/myapp',
    ]);
    expect(facts).toMatchObject({
      ...LEAF_PROFILE,
      signatureAlgorithm: 'Ed25519',
      serialBits: expect.any(Number) as unknown,
    });
  });

  it.each([
    ['p256', 'ECDSA-SHA256'],
    ['p384', 'ECDSA-SHA384'],
    ['rsa2048', 'SHA256-RSA'],
  ] as const)('a leaf signed by a user-provided %s issuer (%s)', async (issuerKind, algorithm) => {
    const user = opensslCa('rsa2048', issuerKind);
    const userBundle = loadBundle({
      trustAnchors: user.rootPem,
      issuerChain: user.issuerPem,
      issuerKey: user.issuerKeyPem,
    });
    const signed = await new CertificateAuthority({
      bundle: userBundle,
      workloadCertTtlMs: 3_600_000,
      allowedClockSkewMs: 0,
    }).signIdentity({
      spki: (await readCsr(createCsrPem(privateKey('ed25519')))).spki,
      trustDomain: 'public',
      namespace: 'default',
      appId: 'myapp',
      dnsNames: [],
    });
    const f = tool.files({ 'chain.pem': signed.chainPem, 'roots.pem': user.rootPem });
    const facts = await tool.run([
      'verify',
      '-chain',
      f['chain.pem']!,
      '-roots',
      f['roots.pem']!,
      '-id',
      'spiffe://public/ns/default/myapp',
    ]);
    expect(facts).toMatchObject({ ...LEAF_PROFILE, signatureAlgorithm: algorithm });
  });

  it('a leaf under another root is refused (the check is real)', async () => {
    const other = generateBundle({
      trustDomain: 'cluster.local',
      controlPlaneNamespace: 'dapr-system',
      allowedClockSkewMs: 0,
    });
    const signed = await ca.signIdentity({
      spki: (await readCsr(createCsrPem(privateKey('ed25519')))).spki,
      trustDomain: 'public',
      namespace: 'default',
      appId: 'myapp',
      dnsNames: [],
    });
    const f = tool.files({ 'chain.pem': signed.chainPem, 'roots.pem': other.trustAnchorsPem });
    await expect(tool.run(['verify', '-chain', f['chain.pem']!, '-roots', f['roots.pem']!])).rejects.toThrow(
      /x509svid.Verify/,
    );
  });
});

describe('sentry §5 a generated bundle passes a Go sentry’s bundle checks', () => {
  it('anchors self-signed, issuer key matches, issuer verifies to the anchors', async () => {
    const bundle = generateBundle({
      trustDomain: 'cluster.local',
      controlPlaneNamespace: 'dapr-system',
      allowedClockSkewMs: 15 * 60_000,
    });
    const f = tool.files({
      'ca.crt': bundle.trustAnchorsPem,
      'issuer.crt': bundle.issuerChainPem,
      'issuer.key': bundle.issuerKeyPem,
    });
    const facts = await tool.run([
      'bundle',
      '-ca',
      f['ca.crt']!,
      '-issuer',
      f['issuer.crt']!,
      '-key',
      f['issuer.key']!,
    ]);
    expect(facts).toMatchObject({
      anchors: [
        {
          isCA: true,
          basicConstraintsValid: true,
          keyUsage: ['digitalSignature', 'keyCertSign'],
          signatureAlgorithm: 'Ed25519',
          serialPositive: true,
        },
      ],
      issuers: [
        {
          isCA: true,
          basicConstraintsValid: true,
          keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
          signatureAlgorithm: 'Ed25519',
          serialPositive: true,
        },
      ],
    });
  });
});

describe('sentry §2 a daprd-style Go client (grpc-go + go-spiffe TLS) gets its identity', () => {
  it.each(['ed25519', 'ecdsa', 'rsa'])(
    'with a %s key, authorizing sentry by its exact SPIFFE ID',
    async (key) => {
      const f = tool.files({ 'roots.pem': sentry.bundle.trustAnchorsPem });
      const out = await tool.run([
        'sign',
        '-addr',
        sentry.address,
        '-roots',
        f['roots.pem']!,
        '-sentry-id',
        sentry.sentryId,
        '-key',
        key,
      ]);
      expect(out).toMatchObject({
        chainLength: 2,
        trustChainElements: 1,
        leaf: { spiffeId: 'spiffe://public/ns/default/myapp', ...LEAF_PROFILE },
      });
    },
  );

  it('a control-plane id in sentry’s namespace gets the control-plane trust domain it asks for, with DNS names', async () => {
    const f = tool.files({ 'roots.pem': sentry.bundle.trustAnchorsPem });
    const out = await tool.run([
      'sign',
      '-addr',
      sentry.address,
      '-roots',
      f['roots.pem']!,
      '-sentry-id',
      sentry.sentryId,
      '-key',
      'rsa',
      '-app-id',
      'dapr-operator',
      '-namespace',
      'dapr-system',
      '-trust-domain',
      'cluster.local',
    ]);
    expect(out).toMatchObject({
      leaf: {
        spiffeId: 'spiffe://cluster.local/ns/dapr-system/dapr-operator',
        dnsNames: ['dapr-webhook.dapr-system.svc'],
      },
    });
  });

  it('refuses a sentry whose SPIFFE ID is not the expected one', async () => {
    const f = tool.files({ 'roots.pem': sentry.bundle.trustAnchorsPem });
    await expect(
      tool.run([
        'sign',
        '-addr',
        sentry.address,
        '-roots',
        f['roots.pem']!,
        '-sentry-id',
        'spiffe://cluster.local/ns/default/dapr-sentry',
      ]),
    ).rejects.toThrow(/unexpected ID/);
  });
});
