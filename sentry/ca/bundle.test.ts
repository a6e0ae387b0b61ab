import { describe, expect, it } from '@jest/globals';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signingKey } from '../../kit/x509/algorithms.js';
import { BundleError, generateBundle, loadBundle, type BundlePems } from './bundle.js';
import { keyIdentifier, signCertificate } from '../../kit/x509/certificate.js';
import { OID } from '../../kit/x509/oids.js';
import { certificatesFromPem, encodeCertificates, encodePem } from '../../kit/x509/pem.js';
import { CA_TTL_MS, issuerCertificate, rootCertificate } from './profile.js';
import { opensslCa } from './testing/openssl-ca.js';
import {
  authorityKeyId,
  basicConstraints,
  extKeyUsage,
  hasValidSerial,
  isSignedBy,
  keyUsage,
  parseCertificate,
  subjectKeyId,
} from '../../kit/x509/certificate-fields.js';

const NOW = Date.UTC(2026, 0, 10);
const SKEW = 15 * 60_000;
const generated = generateBundle({
  trustDomain: 'cluster.local',
  controlPlaneNamespace: 'dapr-system',
  allowedClockSkewMs: SKEW,
  now: NOW,
});

describe('sentry §3 generated root and issuer (v1.18)', () => {
  const root = generated.trustAnchors[0]!;
  const issuer = generated.issuerChain[0]!;

  it('root: Ed25519, O=<trust domain>, CA, digitalSignature+keyCertSign, SKI, self-signed, 365 d', () => {
    expect(root.publicKey.asymmetricKeyType).toBe('ed25519');
    // SEQUENCE { SET { SEQUENCE { organizationName, PrintableString "cluster.local" } } }
    expect(root.subject.toString('hex')).toBe(
      `301831163014060355040a130d${Buffer.from('cluster.local').toString('hex')}`,
    );
    expect(root.issuer.equals(root.subject)).toBe(true);
    expect(isSignedBy(root, root)).toBe(true);
    expect(hasValidSerial(root)).toBe(true);
    expect(root.extensions.map((e) => [e.oid, e.critical])).toEqual([
      [OID.keyUsage, true],
      [OID.basicConstraints, true],
      [OID.subjectKeyIdentifier, false],
    ]);
    expect([...keyUsage(root)!].sort()).toEqual(['digitalSignature', 'keyCertSign']);
    expect(basicConstraints(root)).toEqual({ ca: true });
    expect(subjectKeyId(root)).toEqual(keyIdentifier(root.spki));
    expect(extKeyUsage(root)).toBeUndefined();
    expect(root.notBefore.getTime()).toBe(NOW - SKEW);
    expect(root.notAfter.getTime()).toBe(NOW + CA_TTL_MS);
  });

  it('issuer: Ed25519, O=spiffe://<td>/ns/<ns>/dapr-sentry, CA, +cRLSign, SKI, AKI = root SKI, signed by the root', () => {
    expect(issuer.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(issuer.subject.toString('latin1')).toContain('spiffe://cluster.local/ns/dapr-system/dapr-sentry');
    expect(issuer.issuer.equals(root.subject)).toBe(true);
    expect(isSignedBy(issuer, root)).toBe(true);
    expect(issuer.extensions.map((e) => [e.oid, e.critical])).toEqual([
      [OID.keyUsage, true],
      [OID.basicConstraints, true],
      [OID.subjectKeyIdentifier, false],
      [OID.authorityKeyIdentifier, false],
    ]);
    expect([...keyUsage(issuer)!].sort()).toEqual(['cRLSign', 'digitalSignature', 'keyCertSign']);
    expect(authorityKeyId(issuer)).toEqual(subjectKeyId(root));
    expect(issuer.notAfter.getTime()).toBe(NOW + CA_TTL_MS);
  });

  it('stores the issuer key as PKCS#8 PRIVATE KEY and reloads to the same bundle', () => {
    expect(generated.issuerKeyPem.toString()).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const again = loadBundle(
      {
        trustAnchors: generated.trustAnchorsPem,
        issuerChain: generated.issuerChainPem,
        issuerKey: generated.issuerKeyPem,
      },
      NOW,
    );
    expect(again.trustAnchorsPem).toEqual(generated.trustAnchorsPem);
    expect(again.issuerChainPem).toEqual(generated.issuerChainPem);
    expect(again.issuerKeyPem).toEqual(generated.issuerKeyPem);
  });
});

/** A CA certificate signed by `parent` (or self-signed), built from our own parts. */
function caCert(
  o: string,
  key: KeyObject,
  parent?: { der: Buffer; key: KeyObject },
  ttlMs = CA_TTL_MS,
): Buffer {
  const spki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const validity = { now: NOW, ttlMs, allowedClockSkewMs: SKEW };
  if (parent === undefined) {
    const parts = rootCertificate({ ...validity, spki, trustDomain: o });
    return signCertificate(parts, { name: parts.subject, key: signingKey(key, createPublicKey(key)) });
  }
  const p = parseCertificate(parent.der);
  const parts = issuerCertificate({
    ...validity,
    spki,
    trustDomain: o,
    controlPlaneNamespace: 'ns',
    rootKeyId: keyIdentifier(p.spki),
  });
  return signCertificate(parts, { name: p.subject, key: signingKey(parent.key, p.publicKey) });
}

const ed = (): KeyObject => generateKeyPairSync('ed25519').privateKey;
const pem = (...ders: Buffer[]): Buffer => encodeCertificates(ders);
const keyPem = (k: KeyObject): Buffer => Buffer.from(k.export({ type: 'pkcs8', format: 'pem' }).toString());

function failure(pems: BundlePems, now = NOW): string {
  try {
    loadBundle(pems, now);
  } catch (err) {
    if (err instanceof BundleError) return err.message;
    throw err;
  }
  throw new Error('expected loadBundle to fail');
}

describe('sentry §5 user-provided bundles that upstream accepts', () => {
  it.each([
    ['ECDSA P-256', 'p256'],
    ['RSA', 'rsa2048'],
    ['Ed25519', 'ed25519'],
  ] as const)('an openssl-made %s issuer under an ECDSA root', (_name, kind) => {
    const user = opensslCa('p256', kind);
    const b = loadBundle({
      trustAnchors: user.rootPem,
      issuerChain: user.issuerPem,
      issuerKey: user.issuerKeyPem,
    });
    expect(b.issuerChain).toHaveLength(1);
    expect(b.issuerKeyPem.toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('SEC1 and PKCS#1 keys are read and re-encoded as PKCS#8', () => {
    for (const kind of ['p256', 'rsa2048'] as const) {
      const user = opensslCa('ed25519', kind);
      const key = createPrivateKey(user.issuerKeyPem);
      const legacy = key.export({ type: kind === 'p256' ? 'sec1' : 'pkcs1', format: 'pem' }).toString();
      expect(legacy).toMatch(kind === 'p256' ? /EC PRIVATE KEY/ : /RSA PRIVATE KEY/);
      const b = loadBundle({
        trustAnchors: user.rootPem,
        issuerChain: user.issuerPem,
        issuerKey: Buffer.from(legacy),
      });
      expect(b.issuerKeyPem.toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    }
  });

  it('a root appended to issuer.crt is dropped from the chain sent to clients', () => {
    const b = loadBundle(
      {
        trustAnchors: generated.trustAnchorsPem,
        issuerChain: Buffer.concat([generated.issuerChainPem, generated.trustAnchorsPem]),
        issuerKey: generated.issuerKeyPem,
      },
      NOW,
    );
    expect(certificatesFromPem(b.issuerChainPem)).toHaveLength(1);
  });

  it('comments around the anchors are stripped; several anchors are kept', () => {
    const other = caCert('other.root', ed());
    const anchors = Buffer.concat([
      Buffer.from('# the old root\n'),
      pem(other),
      Buffer.from('comment\n'),
      generated.trustAnchorsPem,
    ]);
    const b = loadBundle(
      { trustAnchors: anchors, issuerChain: generated.issuerChainPem, issuerKey: generated.issuerKeyPem },
      NOW,
    );
    expect(b.trustAnchorsPem.toString()).not.toContain('comment');
    expect(b.trustAnchors).toHaveLength(2);
  });

  it('a deeper issuer, with its parent intermediate listed in issuer.crt', () => {
    const rootKey = ed();
    const midKey = ed();
    const issuerKey = ed();
    const root = caCert('deep.root', rootKey);
    const mid = caCert('mid', midKey, { der: root, key: rootKey });
    const issuer = caCert('issuer', issuerKey, { der: mid, key: midKey });
    const b = loadBundle(
      { trustAnchors: pem(root), issuerChain: pem(issuer, mid), issuerKey: keyPem(issuerKey) },
      NOW,
    );
    expect(b.issuerChain).toHaveLength(2);
    expect(
      failure({ trustAnchors: pem(root), issuerChain: pem(mid, issuer), issuerKey: keyPem(issuerKey) }),
    ).toBe('certificate chain is not valid');
    expect(
      failure({ trustAnchors: pem(root), issuerChain: pem(issuer), issuerKey: keyPem(issuerKey) }),
    ).toMatch(/does not belong to trust anchors/);
  });
});

describe('sentry §5 bundles that are refused (startup fails)', () => {
  const good = {
    trustAnchors: generated.trustAnchorsPem,
    issuerChain: generated.issuerChainPem,
    issuerKey: generated.issuerKeyPem,
  };

  it.each([
    [
      'no anchors',
      { ...good, trustAnchors: Buffer.from('nothing') },
      /failed to decode trust anchors: no certificates found/,
    ],
    ['no issuer certificate', { ...good, issuerChain: Buffer.alloc(0) }, /failed to decode issuer chain/],
    [
      'an anchor that is not self-signed',
      { ...good, trustAnchors: generated.issuerChainPem },
      /not self-signed/,
    ],
    ['a key that is not PEM', { ...good, issuerKey: Buffer.from('x') }, /key is not PEM encoded/],
    [
      'a key of an unknown PEM type',
      { ...good, issuerKey: Buffer.from(encodePem('DSA PRIVATE KEY', Buffer.from([1]))) },
      /unsupported block type/,
    ],
    [
      'a key that is not the issuer’s',
      { ...good, issuerKey: keyPem(ed()) },
      /issuer key does not match issuer certificate/,
    ],
    [
      'an issuer from another root',
      { ...good, trustAnchors: pem(caCert('other', ed())) },
      /does not belong to trust anchors/,
    ],
  ])('%s', (_name, pems, message) => {
    expect(failure(pems)).toMatch(message);
  });

  it('an expired issuer', () => {
    expect(failure(good, NOW + CA_TTL_MS + 1000)).toMatch(/expired or is not yet valid/);
  });

  it('an issuer that is not a CA', () => {
    const user = opensslCa('p256', 'p256', {
      issuerExtensions: 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n',
    });
    expect(
      failure(
        { trustAnchors: user.rootPem, issuerChain: user.issuerPem, issuerKey: user.issuerKeyPem },
        Date.now(),
      ),
    ).toBe('intermediate certificate is not valid for signing');
  });

  it('an issuer whose EKU forbids serverAuth (Go Verify checks serverAuth by default)', () => {
    const user = opensslCa('p256', 'p256', {
      issuerExtensions:
        'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nextendedKeyUsage=clientAuth\n',
    });
    expect(
      failure(
        { trustAnchors: user.rootPem, issuerChain: user.issuerPem, issuerKey: user.issuerKeyPem },
        Date.now(),
      ),
    ).toMatch(/incompatible key usage/);
  });
});
