// Test helper: a throwaway SPIFFE CA for the tests of services other than sentry, which may not
// import sentry's CA. One P-256 root signs workload leaves directly, with the parts of sentry's
// profile that TLS peers and our identity checks look at: an empty subject, digitalSignature,
// serverAuth + clientAuth, and a critical SAN with the DNS names and the one SPIFFE URI.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { daprSpiffeId } from '../security/spiffe.js';
import { signingKey } from '../x509/algorithms.js';
import {
  EMPTY_NAME,
  keyIdentifier,
  organizationName,
  randomSerial,
  signCertificate,
  type Issuer,
} from '../x509/certificate.js';
import { children, raw, readWhole, TAG } from '../x509/der.js';
import {
  authorityKeyIdExtension,
  caBasicConstraintsExtension,
  extKeyUsageExtension,
  keyUsageExtension,
  subjectAltNameExtension,
  subjectKeyIdExtension,
} from '../x509/extensions.js';
import { OID } from '../x509/oids.js';
import { encodePem, firstPemBlock } from '../x509/pem.js';

export interface TestIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly appId: string;
  readonly dnsNames?: readonly string[];
}

export interface TestSvid {
  /** PEM of the leaf (the root is the trust anchor, so the chain is the leaf alone). */
  readonly certChainPem: Buffer;
  readonly keyPem: Buffer;
}

const HOUR_MS = 3_600_000;

function spkiOf(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

/** The SubjectPublicKeyInfo of a PEM PKCS#10 request (its signature is not checked). */
export function csrPublicKeyInfo(csrPem: Buffer): Buffer {
  const block = firstPemBlock(csrPem);
  if (block?.type !== 'CERTIFICATE REQUEST') throw new Error('not a PEM certificate request');
  const info = children(readWhole(block.der, TAG.sequence))[0]!;
  return raw(children(info)[2]!);
}

export class TestPki {
  readonly trustAnchorsPem: Buffer;
  readonly #issuer: Issuer;
  readonly #rootKeyId: Buffer;

  constructor(trustDomain = 'cluster.local') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const spki = spkiOf(publicKey);
    this.#rootKeyId = keyIdentifier(spki);
    const name = organizationName(trustDomain);
    this.#issuer = { name, key: signingKey(privateKey, publicKey) };
    const now = Date.now();
    const root = signCertificate(
      {
        serial: randomSerial(),
        notBefore: new Date(now - HOUR_MS),
        notAfter: new Date(now + 24 * HOUR_MS),
        subject: name,
        spki,
        extensions: [
          keyUsageExtension(['digitalSignature', 'keyCertSign']),
          caBasicConstraintsExtension(),
          subjectKeyIdExtension(this.#rootKeyId),
        ],
      },
      this.#issuer,
    );
    this.trustAnchorsPem = Buffer.from(encodePem('CERTIFICATE', root), 'ascii');
  }

  /** PEM of a leaf certifying `spki` as `identity` for an hour. */
  sign(spki: Buffer, identity: TestIdentity): Buffer {
    const now = Date.now();
    const spiffeId = daprSpiffeId(identity.trustDomain, identity.namespace, identity.appId);
    const leaf = signCertificate(
      {
        serial: randomSerial(),
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + HOUR_MS),
        subject: EMPTY_NAME,
        spki,
        extensions: [
          keyUsageExtension(['digitalSignature']),
          extKeyUsageExtension([OID.serverAuth, OID.clientAuth]),
          authorityKeyIdExtension(this.#rootKeyId),
          subjectAltNameExtension(identity.dnsNames ?? [], [spiffeId], true),
        ],
      },
      this.#issuer,
    );
    return Buffer.from(encodePem('CERTIFICATE', leaf), 'ascii');
  }

  /** A fresh key (Ed25519 unless told) and its leaf. */
  svid(identity: TestIdentity, keyType: 'ed25519' | 'rsa' = 'ed25519'): TestSvid {
    const { privateKey, publicKey } =
      keyType === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
    return {
      certChainPem: this.sign(spkiOf(publicKey), identity),
      keyPem: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    };
  }
}
