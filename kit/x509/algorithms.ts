// Signature algorithms: which AlgorithmIdentifier an issuer key signs with (Go's choice for the
// same key, so our certificates read like upstream's), and how a signed structure (a CSR or a
// certificate) is verified with Node's crypto.
import { constants, KeyObject, sign, verify } from 'node:crypto';
import {
  derNull,
  oid,
  sequence,
  explicit,
  smallInteger,
  TAG,
  children,
  content,
  raw,
  readOid,
  type Tlv,
} from './der.js';
import { OID } from './oids.js';
import { ed25519, jwkBytes, type Ed25519Native } from './ed25519.js';
import type { ImportedKey } from './public-key.js';

/** An issuer's private key, ready to sign TBS structures. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The DER AlgorithmIdentifier written into the certificate (twice: TBS and outer). */
  readonly algorithm: Buffer;
  sign(data: Buffer): Buffer;
  /**
   * The same for the hot path: on libuv's thread pool (keeping the event loop free for gRPC),
   * except for Ed25519 through libsodium, which costs less than the hand-off (ed25519.ts).
   */
  signAsync(data: Buffer): Promise<Buffer>;
}

/** The issuer key is of a type Go's x509 cannot sign certificates with. */
export class UnsupportedKeyError extends Error {
  override readonly name = 'UnsupportedKeyError';
}

const EC_SIGNING: Readonly<Record<string, { digest: string; oid: string }>> = {
  // Go picks the hash from the curve size: P-224 and P-256 → SHA-256, P-384 → SHA-384, P-521 → SHA-512.
  secp224r1: { digest: 'sha256', oid: OID.ecdsaWithSha256 },
  prime256v1: { digest: 'sha256', oid: OID.ecdsaWithSha256 },
  secp384r1: { digest: 'sha384', oid: OID.ecdsaWithSha384 },
  secp521r1: { digest: 'sha512', oid: OID.ecdsaWithSha512 },
};

/** Ed25519 outside OpenSSL, or 'openssl' (the default where libsodium is unavailable). */
export type Ed25519Engine = Ed25519Native | 'openssl';

const defaultEd25519: Ed25519Engine = ed25519.native ?? 'openssl';

function nativeSigningKey(
  privateKey: KeyObject,
  publicKey: KeyObject,
  algorithm: Buffer,
  native: Ed25519Native,
): SigningKey {
  const sign = native.signer(privateKey);
  return {
    privateKey,
    publicKey,
    algorithm,
    sign,
    signAsync: (data) => new Promise((resolve) => resolve(sign(data))), // a throw rejects
  };
}

export function signingKey(
  privateKey: KeyObject,
  publicKey: KeyObject,
  engine: Ed25519Engine = defaultEd25519,
): SigningKey {
  const make = (algorithm: Buffer, digest: string | null): SigningKey => ({
    privateKey,
    publicKey,
    algorithm,
    sign: (data) => sign(digest, data, privateKey),
    signAsync: (data) =>
      new Promise((resolve, reject) => {
        sign(digest, data, privateKey, (err, signature) => (err ? reject(err) : resolve(signature)));
      }),
  });
  switch (privateKey.asymmetricKeyType) {
    case 'ed25519': {
      const algorithm = sequence(oid(OID.ed25519)); // PureEd25519: no parameters
      return engine === 'openssl'
        ? make(algorithm, null)
        : nativeSigningKey(privateKey, publicKey, algorithm, engine);
    }
    case 'rsa':
      return make(sequence(oid(OID.sha256WithRsa), derNull()), 'sha256');
    case 'ec': {
      const curve = privateKey.asymmetricKeyDetails?.namedCurve ?? '';
      const ec = EC_SIGNING[curve];
      if (ec === undefined) throw new UnsupportedKeyError(`unsupported elliptic curve: ${curve}`);
      return make(sequence(oid(ec.oid)), ec.digest); // ECDSA identifiers carry no parameters
    }
    default:
      throw new UnsupportedKeyError(`unsupported issuer key type: ${String(privateKey.asymmetricKeyType)}`);
  }
}

interface Verification {
  readonly keyType: 'rsa' | 'ec' | 'ed25519';
  readonly digest: string | null;
  readonly pss?: number; // salt length, for RSASSA-PSS
  readonly sha1?: true;
}

const BY_OID: Readonly<Record<string, Verification>> = {
  [OID.ed25519]: { keyType: 'ed25519', digest: null },
  [OID.ecdsaWithSha256]: { keyType: 'ec', digest: 'sha256' },
  [OID.ecdsaWithSha384]: { keyType: 'ec', digest: 'sha384' },
  [OID.ecdsaWithSha512]: { keyType: 'ec', digest: 'sha512' },
  [OID.ecdsaWithSha1]: { keyType: 'ec', digest: 'sha1', sha1: true },
  [OID.sha256WithRsa]: { keyType: 'rsa', digest: 'sha256' },
  [OID.sha384WithRsa]: { keyType: 'rsa', digest: 'sha384' },
  [OID.sha512WithRsa]: { keyType: 'rsa', digest: 'sha512' },
  [OID.sha1WithRsa]: { keyType: 'rsa', digest: 'sha1', sha1: true },
};

// Go accepts RSASSA-PSS only with these exact parameters: SHA-2 hash, MGF1 with the same hash,
// and a salt as long as the hash. Anything else is an unknown algorithm to it, so to us too.
function pssParameters(hashOid: string, saltLength: number): Buffer {
  const hash = sequence(oid(hashOid), derNull());
  return sequence(
    explicit(0, hash),
    explicit(1, sequence(oid(OID.mgf1), hash)),
    explicit(2, smallInteger(saltLength)),
  );
}
const PSS: readonly { params: Buffer; digest: string; salt: number }[] = [
  { params: pssParameters(OID.sha256, 32), digest: 'sha256', salt: 32 },
  { params: pssParameters(OID.sha384, 48), digest: 'sha384', salt: 48 },
  { params: pssParameters(OID.sha512, 64), digest: 'sha512', salt: 64 },
];

function lookup(algorithm: Tlv): Verification | undefined {
  const [id, params, extra] = children(algorithm);
  if (algorithm.tag !== TAG.sequence || id === undefined || extra !== undefined) return undefined;
  const name = readOid(id);
  if (name === OID.rsassaPss) {
    const match = params && PSS.find((p) => p.params.equals(raw(params)));
    return match ? { keyType: 'rsa', digest: match.digest, pss: match.salt } : undefined;
  }
  const found = BY_OID[name];
  if (found === undefined) return undefined;
  // RSA identifiers carry NULL (or, tolerated by Go, nothing); ECDSA and Ed25519 carry nothing.
  if (
    params !== undefined &&
    !(found.keyType === 'rsa' && params.tag === TAG.null && content(params).length === 0)
  ) {
    return undefined;
  }
  return found;
}

export interface VerifyOptions {
  /** CSRs may still be SHA-1 signed (Go accepts that for requests, not for certificates). */
  readonly allowSha1?: boolean;
  /** Who verifies Ed25519 signatures (tests pin each). */
  readonly ed25519?: Ed25519Engine;
}

/** A key to verify with: a KeyObject, or a SubjectPublicKeyInfo as imported (importSpki). */
export type PublicKey = KeyObject | ImportedKey;

const keyTypeOf = (key: PublicKey): string | undefined =>
  key instanceof KeyObject ? key.asymmetricKeyType : key.keyType;

/** Verification through libsodium, when it does Ed25519 here and this key is one. */
function nativeVerify(signed: Signed, key: PublicKey, options: VerifyOptions): boolean | undefined {
  const engine = options.ed25519 ?? defaultEd25519;
  if (engine === 'openssl' || keyTypeOf(key) !== 'ed25519') return undefined;
  const raw = key instanceof KeyObject ? jwkBytes(key, 'x') : key.ed25519;
  return raw !== undefined && engine.verify(signed.data, signed.signature, raw);
}

type VerifyKey = KeyObject | { key: KeyObject; padding: number; saltLength: number };

const keyObjectOf = (key: PublicKey): KeyObject => (key instanceof KeyObject ? key : key.publicKey);

/** The algorithm's verification rule when it can match this key, else undefined. */
function applicable(algorithm: Tlv, key: PublicKey, options: VerifyOptions): Verification | undefined {
  const v = lookup(algorithm);
  if (v === undefined || v.keyType !== keyTypeOf(key)) return undefined;
  if (v.sha1 && options.allowSha1 !== true) return undefined;
  // Go (1.24+) refuses RSA keys under 1024 bits when verifying.
  if (v.keyType === 'rsa' && (keyObjectOf(key).asymmetricKeyDetails?.modulusLength ?? 0) < 1024) {
    return undefined;
  }
  return v;
}

/** Node's verify arguments for this rule and key. */
function nodeVerifyKey(v: Verification, key: PublicKey): VerifyKey {
  const publicKey = keyObjectOf(key);
  return v.pss === undefined
    ? publicKey
    : { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: v.pss };
}

/** A signed structure: the signed bytes, the AlgorithmIdentifier element and the signature bits. */
export interface Signed {
  readonly data: Buffer;
  readonly algorithm: Tlv;
  readonly signature: Buffer;
}

/** True when the signature verifies with `publicKey` under its AlgorithmIdentifier. */
export function verifySignature(signed: Signed, publicKey: PublicKey, options: VerifyOptions = {}): boolean {
  const v = applicable(signed.algorithm, publicKey, options);
  if (v === undefined) return false;
  const native = nativeVerify(signed, publicKey, options);
  if (native !== undefined) return native;
  try {
    return verify(v.digest, signed.data, nodeVerifyKey(v, publicKey), signed.signature);
  } catch {
    return false; // e.g. an ECDSA signature that is not a DER SEQUENCE
  }
}

/**
 * verifySignature off the event loop (on libuv's thread pool), except for Ed25519 through
 * libsodium, which is done at once: cheaper than the hand-off (ed25519.ts).
 */
export function verifySignatureAsync(
  signed: Signed,
  publicKey: PublicKey,
  options: VerifyOptions = {},
): Promise<boolean> {
  const v = applicable(signed.algorithm, publicKey, options);
  if (v === undefined) return Promise.resolve(false);
  const native = nativeVerify(signed, publicKey, options);
  if (native !== undefined) return Promise.resolve(native);
  return new Promise((resolve) => {
    try {
      verify(v.digest, signed.data, nodeVerifyKey(v, publicKey), signed.signature, (err, ok) =>
        resolve(err === null && ok),
      );
    } catch {
      resolve(false);
    }
  });
}
