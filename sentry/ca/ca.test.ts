import { describe, expect, it } from '@jest/globals';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { generateBundle, loadBundle, type X509Bundle } from './bundle.js';
import { CertificateAuthority, type IdentityRequest } from './ca.js';
import { OID } from '../../kit/x509/oids.js';
import { certificatesFromPem } from '../../kit/x509/pem.js';
import { controlPlaneDnsNames } from './profile.js';
import { KEY_KINDS, openssl, privateKey, type KeyKind } from './testing/keys.js';
import { opensslCa } from './testing/openssl-ca.js';
import {
  authorityKeyId,
  basicConstraints,
  extKeyUsage,
  hasValidSerial,
  keyUsage,
  parseCertificate,
  subjectKeyId,
} from '../../kit/x509/certificate-fields.js';
import { subjectAltNames } from '../../kit/security/subject-alt-names.js';
import { SentryError } from '../errors.js';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0, 500);
const TTL = 24 * 3_600_000;
const SKEW = 15 * 60_000;

const bundle = generateBundle({
  trustDomain: 'cluster.local',
  controlPlaneNamespace: 'dapr-system',
  allowedClockSkewMs: SKEW,
  now: NOW,
});

function ca(b: X509Bundle = bundle): CertificateAuthority {
  return new CertificateAuthority({
    bundle: b,
    workloadCertTtlMs: TTL,
    allowedClockSkewMs: SKEW,
    now: () => NOW,
  });
}

function request(kind: KeyKind, overrides: Partial<IdentityRequest> = {}): IdentityRequest {
  return {
    spki: createPublicKey(privateKey(kind)).export({ type: 'spki', format: 'der' }),
    trustDomain: 'public',
    namespace: 'default',
    appId: 'myapp',
    dnsNames: [],
    ...overrides,
  };
}

describe('sentry §3 workload leaf profile (v1.18)', () => {
  it.each(KEY_KINDS)('a %s CSR key gets exactly the upstream profile', async (kind) => {
    const signed = await ca().signIdentity(request(kind));
    const leaf = parseCertificate(signed.leaf);
    const issuer = bundle.issuerChain[0]!;

    expect(leaf.version).toBe(3);
    expect(leaf.subject).toEqual(Buffer.from([0x30, 0x00])); // empty subject
    expect(leaf.issuer.equals(issuer.subject)).toBe(true);
    expect(hasValidSerial(leaf)).toBe(true);
    expect(leaf.notBefore.getTime()).toBe(Math.floor((NOW - SKEW) / 1000) * 1000);
    expect(leaf.notAfter.getTime()).toBe(Math.floor((NOW + TTL) / 1000) * 1000);
    expect(signed.notAfter).toEqual(leaf.notAfter);
    expect(leaf.publicKey.equals(createPublicKey(privateKey(kind)))).toBe(true);

    expect(leaf.extensions.map((e) => [e.oid, e.critical])).toEqual([
      [OID.keyUsage, true],
      [OID.extKeyUsage, false],
      [OID.authorityKeyIdentifier, false],
      [OID.subjectAltName, true], // critical: the subject is empty (RFC 5280 §4.2.1.6)
    ]);
    expect([...keyUsage(leaf)!]).toEqual(['digitalSignature']);
    expect(extKeyUsage(leaf)).toEqual([OID.serverAuth, OID.clientAuth]);
    expect(basicConstraints(leaf)).toBeUndefined();
    expect(subjectKeyId(leaf)).toBeUndefined();
    expect(authorityKeyId(leaf)).toEqual(subjectKeyId(issuer));
    expect(subjectAltNames(leaf.der)).toEqual({
      dns: [],
      uris: ['spiffe://public/ns/default/myapp'],
      other: 0,
    });

    const node = new X509Certificate(signed.leaf);
    expect(node.verify(issuer.publicKey)).toBe(true);
    expect(node.ca).toBe(false);
    expect(node.subjectAltName).toBe('URI:spiffe://public/ns/default/myapp');
  });

  it('puts the control-plane DNS names before the URI', async () => {
    const signed = await ca().signIdentity(
      request('rsa2048', {
        appId: 'dapr-operator',
        namespace: 'dapr-system',
        dnsNames: ['dapr-webhook.dapr-system.svc'],
      }),
    );
    expect(subjectAltNames(signed.leaf)).toEqual({
      dns: ['dapr-webhook.dapr-system.svc'],
      uris: ['spiffe://public/ns/dapr-system/dapr-operator'],
      other: 0,
    });
  });

  it('sends the leaf and the issuer chain, never the root', async () => {
    const signed = await ca().signIdentity(request('ed25519'));
    const chain = certificatesFromPem(signed.chainPem);
    expect(chain).toHaveLength(2);
    expect(chain[0]).toEqual(signed.leaf);
    expect(chain[1]).toEqual(bundle.issuerChain[0]!.der);
    expect(signed.chainPem.toString()).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/,
    );
  });

  it('chains to the root for openssl verify (partial chain off: the root is the anchor)', async () => {
    const signed = await ca().signIdentity(request('p256'));
    const out = openssl(
      [
        'verify',
        '-attime',
        String(Math.floor(NOW / 1000)),
        '-CAfile',
        'root.pem',
        '-untrusted',
        'chain.pem',
        'chain.pem',
      ],
      {
        'root.pem': bundle.trustAnchorsPem,
        'chain.pem': signed.chainPem,
      },
    );
    expect(out.toString()).toContain('OK');
  });

  it('draws distinct positive serials', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const leaf = parseCertificate((await ca().signIdentity(request('ed25519'))).leaf);
      expect(hasValidSerial(leaf)).toBe(true);
      serials.add(leaf.serial.toString('hex'));
    }
    expect(serials.size).toBe(500);
  });

  it('fails to sign an id that is not a legal SPIFFE path segment', async () => {
    for (const bad of [{ appId: 'a/b' }, { namespace: 'x y' }, { trustDomain: 'UPPER' }]) {
      const caught = await ca()
        .signIdentity(request('ed25519', bad))
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(caught).toBeInstanceOf(SentryError);
      expect(caught).toMatchObject({ kind: 'sign', message: 'failed to sign certificate' });
    }
  });
});

describe('sentry §3 signature algorithm follows the issuer key (user-provided issuers)', () => {
  it.each([
    ['p256', 'ecdsa-with-SHA256'],
    ['p384', 'ecdsa-with-SHA384'],
    ['rsa2048', 'sha256WithRSAEncryption'],
    ['ed25519', 'ED25519'],
  ] as const)(
    'a %s issuer signs with %s, and the leaf verifies to the user root',
    async (issuerKind, algorithm) => {
      const user = opensslCa('p256', issuerKind);
      const userBundle = loadBundle({
        trustAnchors: user.rootPem,
        issuerChain: user.issuerPem,
        issuerKey: user.issuerKeyPem,
      });
      const signed = await new CertificateAuthority({
        bundle: userBundle,
        workloadCertTtlMs: TTL,
        allowedClockSkewMs: SKEW,
      }).signIdentity(request('ed25519'));
      const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text'], {
        'leaf.pem': signed.chainPem,
      }).toString();
      expect(text).toContain(`Signature Algorithm: ${algorithm}`);
      // openssl's subjects are UTF8Strings: a re-encoding CA would break this byte-equality.
      expect(parseCertificate(signed.leaf).issuer.equals(userBundle.issuerChain[0]!.subject)).toBe(true);
      const out = openssl(['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', 'chain.pem'], {
        'root.pem': user.rootPem,
        'chain.pem': signed.chainPem,
      });
      expect(out.toString()).toContain('OK');
    },
  );
});

describe('sentry §3 DNS names for control-plane services', () => {
  const base = { sentryNamespace: 'dapr-system', clusterDomain: 'cluster.local' };
  it.each([
    ['dapr-injector', 'dapr-system', ['dapr-sidecar-injector.dapr-system.svc']],
    ['dapr-operator', 'dapr-system', ['dapr-webhook.dapr-system.svc']],
    [
      'dapr-scheduler',
      'dapr-system',
      [0, 1, 2].map((i) => `dapr-scheduler-server-${i}.dapr-scheduler-server.dapr-system.svc.cluster.local`),
    ],
    ['dapr-placement', 'dapr-system', []],
    ['dapr-sentry', 'dapr-system', []],
    ['dapr-operator', 'default', []],
    ['myapp', 'dapr-system', []],
  ])('%s in %s gets %j', (appId, namespace, want) => {
    expect(controlPlaneDnsNames({ ...base, appId, namespace })).toEqual(want);
  });
});
