// The CA's credentials: trust anchors, issuer chain and issuer key. Generates the self-signed
// pair upstream 1.18 generates (Ed25519 root and issuer, 365 days), and checks user-provided
// PEMs the way upstream does at startup (docs/contracts/sentry.md §5 "Startup logic" step 2), so a bundle Go's
// sentry accepts is accepted here and one it refuses is refused.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { signingKey, UnsupportedKeyError } from '../../kit/x509/algorithms.js';
import { keyIdentifier, signCertificate } from '../../kit/x509/certificate.js';
import { checkChainToAnchors, checkSignatureFrom } from './chain.js';
import { certificatesFromPem, encodeCertificates, encodePem, firstPemBlock } from '../../kit/x509/pem.js';
import { CA_TTL_MS, issuerCertificate, rootCertificate } from './profile.js';
import {
  basicConstraints,
  keyUsage,
  parseCertificate,
  type Certificate,
} from '../../kit/x509/certificate-fields.js';

export interface X509Bundle {
  /** All roots, re-encoded without PEM comments: ca.crt, and trust_chain_certificates[0]. */
  readonly trustAnchorsPem: Buffer;
  readonly trustAnchors: readonly Certificate[];
  /** The issuer first, then any intermediates; never a self-signed root. issuer.crt. */
  readonly issuerChainPem: Buffer;
  readonly issuerChain: readonly Certificate[];
  /** PKCS#8 `PRIVATE KEY` PEM (re-encoded from whatever form was given). issuer.key. */
  readonly issuerKeyPem: Buffer;
  readonly issuerKey: KeyObject;
}

export interface BundlePems {
  readonly trustAnchors: Buffer;
  readonly issuerChain: Buffer;
  readonly issuerKey: Buffer;
}

/** The provided credentials are unusable; the message says why (startup fails with it). */
export class BundleError extends Error {
  override readonly name = 'BundleError';
}

export interface GenerateOptions {
  /** The control-plane trust domain (--trust-domain). */
  readonly trustDomain: string;
  /** Sentry's namespace, which goes into the issuer's subject. */
  readonly controlPlaneNamespace: string;
  readonly allowedClockSkewMs: number;
  readonly now?: number;
  readonly ttlMs?: number;
}

function ed25519(): { privateKey: KeyObject; publicKey: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

function pkcs8Pem(key: KeyObject): Buffer {
  return Buffer.from(encodePem('PRIVATE KEY', key.export({ type: 'pkcs8', format: 'der' })), 'ascii');
}

/** A new self-signed root and an issuer signed by it, both Ed25519 (upstream 1.18's choice). */
export function generateBundle(options: GenerateOptions): X509Bundle {
  const validity = {
    now: options.now ?? Date.now(),
    ttlMs: options.ttlMs ?? CA_TTL_MS,
    allowedClockSkewMs: options.allowedClockSkewMs,
  };
  const root = ed25519();
  const rootParts = rootCertificate({ ...validity, spki: root.spki, trustDomain: options.trustDomain });
  const rootSigner = { name: rootParts.subject, key: signingKey(root.privateKey, root.publicKey) };
  const rootDer = signCertificate(rootParts, rootSigner);

  const issuer = ed25519();
  const issuerParts = issuerCertificate({
    ...validity,
    spki: issuer.spki,
    trustDomain: options.trustDomain,
    controlPlaneNamespace: options.controlPlaneNamespace,
    rootKeyId: keyIdentifier(root.spki),
  });
  const issuerDer = signCertificate(issuerParts, rootSigner);
  return {
    trustAnchorsPem: encodeCertificates([rootDer]),
    trustAnchors: [parseCertificate(rootDer)],
    issuerChainPem: encodeCertificates([issuerDer]),
    issuerChain: [parseCertificate(issuerDer)],
    issuerKeyPem: pkcs8Pem(issuer.privateKey),
    issuerKey: issuer.privateKey,
  };
}

function parseAll(pem: Buffer, what: string): Certificate[] {
  const ders = certificatesFromPem(pem);
  if (ders.length === 0) throw new BundleError(`failed to decode ${what}: no certificates found`);
  try {
    return ders.map(parseCertificate);
  } catch (err) {
    throw new BundleError(`failed to decode ${what}: ${(err as Error).message}`, { cause: err });
  }
}

const KEY_PEM_TYPES: Readonly<Record<string, 'pkcs8' | 'sec1' | 'pkcs1'>> = {
  'PRIVATE KEY': 'pkcs8',
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
};

function parseIssuerKey(pem: Buffer): KeyObject {
  const block = firstPemBlock(pem);
  if (block === undefined) throw new BundleError('key is not PEM encoded');
  const type = KEY_PEM_TYPES[block.type];
  if (type === undefined) throw new BundleError(`unsupported block type ${block.type}`);
  try {
    return createPrivateKey({ key: block.der, format: 'der', type });
  } catch (err) {
    throw new BundleError(`failed to parse issuer key: ${(err as Error).message}`, { cause: err });
  }
}

function selfSignedAnchors(pem: Buffer): Certificate[] {
  const anchors = parseAll(pem, 'trust anchors');
  if (anchors.some((a) => !checkSignatureFrom(a, a))) {
    throw new BundleError('certificate in trust anchor is not self-signed');
  }
  return anchors;
}

/** The issuer chain in order; a root appended to issuer.crt is dropped (the anchors carry it). */
function orderedIssuerChain(pem: Buffer): Certificate[] {
  const chain = parseAll(pem, 'issuer chain');
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!checkSignatureFrom(chain[i]!, chain[i + 1]!))
      throw new BundleError('certificate chain is not valid');
  }
  const last = chain[chain.length - 1]!;
  return chain.length > 1 && checkSignatureFrom(last, last) ? chain.slice(0, -1) : chain;
}

/**
 * Stricter than upstream (which only rejects a cert that is neither CA nor certSign): the
 * leaves we sign must verify in Go, which needs a CA issuer allowed to sign certificates.
 */
function checkCanSign(issuer: Certificate): void {
  const usage = keyUsage(issuer);
  if (basicConstraints(issuer)?.ca !== true || (usage !== undefined && !usage.has('keyCertSign'))) {
    throw new BundleError('intermediate certificate is not valid for signing');
  }
}

function issuerKeyFor(pem: Buffer, issuer: Certificate): KeyObject {
  const issuerKey = parseIssuerKey(pem);
  try {
    signingKey(issuerKey, issuer.publicKey);
  } catch (err) {
    if (err instanceof UnsupportedKeyError) throw new BundleError(err.message, { cause: err });
    throw err;
  }
  if (!createPublicKey(issuerKey).equals(issuer.publicKey)) {
    throw new BundleError('issuer key does not match issuer certificate');
  }
  return issuerKey;
}

/** Checks user- or store-provided PEMs and returns the normalized bundle; throws BundleError. */
export function loadBundle(pems: BundlePems, now: number = Date.now()): X509Bundle {
  const anchors = selfSignedAnchors(pems.trustAnchors);
  const chain = orderedIssuerChain(pems.issuerChain);
  checkCanSign(chain[0]!);
  const issuerKey = issuerKeyFor(pems.issuerKey, chain[0]!);
  const problem = checkChainToAnchors(chain, anchors, now);
  if (problem !== undefined)
    throw new BundleError(`issuer chain does not belong to trust anchors: ${problem}`);
  return {
    trustAnchorsPem: encodeCertificates(anchors.map((c) => c.der)),
    trustAnchors: anchors,
    issuerChainPem: encodeCertificates(chain.map((c) => c.der)),
    issuerChain: chain,
    issuerKeyPem: pkcs8Pem(issuerKey),
    issuerKey,
  };
}
