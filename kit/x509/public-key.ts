// Imports the public key of a CSR: only the key types daprd's Go code can use, read from the
// SubjectPublicKeyInfo by hand and handed to Node as a JWK. That is not a detour: OpenSSL 3's DER
// decoders cost ~90 µs per key on the reference machine, the JWK path ~8 µs for Ed25519, on a
// path that runs once per SignCertificate call.
import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  children,
  content,
  DerError,
  expectTag,
  raw,
  readBitString,
  readOid,
  readWhole,
  TAG,
  type Tlv,
} from './der.js';
import { OID } from './oids.js';

export interface ImportedKey {
  /** For Ed25519 made on first use: libsodium verifies from the raw bytes without one. */
  readonly publicKey: KeyObject;
  /** SubjectPublicKeyInfo DER as Go would re-marshal it (the input itself when already canonical). */
  readonly spki: Buffer;
  readonly keyType: 'ed25519' | 'ec' | 'rsa';
  /** An Ed25519 key's 32 bytes. */
  readonly ed25519?: Buffer;
}

/** Named curves Go's x509 parses, with their JWK names and coordinate sizes. */
const EC_CURVES: Readonly<Record<string, { crv: string; size: number }>> = {
  [OID.p224]: { crv: 'P-224', size: 28 },
  [OID.p256]: { crv: 'P-256', size: 32 },
  [OID.p384]: { crv: 'P-384', size: 48 },
  [OID.p521]: { crv: 'P-521', size: 66 },
};

const b64url = (bytes: Buffer): string => bytes.toString('base64url');

function fromJwk(jwk: Record<string, string>): KeyObject {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    throw new DerError(`invalid public key: ${(err as Error).message}`);
  }
}

function minimalUnsigned(el: Tlv | undefined, what: string): Buffer {
  const bytes = content(expectTag(el, TAG.integer, what));
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) throw new DerError(`${what} is not positive`);
  if (bytes.length > 1 && bytes[0] === 0 && (bytes[1]! & 0x80) === 0)
    throw new DerError(`${what} is not minimally encoded`);
  return bytes[0] === 0 ? bytes.subarray(1) : bytes;
}

function importEd25519(params: Tlv | undefined, key: Buffer, spki: Buffer): ImportedKey {
  if (params !== undefined) throw new DerError('Ed25519 key encoded with illegal parameters');
  if (key.length !== 32) throw new DerError('Ed25519 public key has the wrong length');
  // OpenSSL takes any 32 bytes as an Ed25519 key, so making the KeyObject later cannot fail.
  let publicKey: KeyObject | undefined;
  return {
    get publicKey(): KeyObject {
      return (publicKey ??= fromJwk({ kty: 'OKP', crv: 'Ed25519', x: b64url(key) }));
    },
    spki,
    keyType: 'ed25519',
    ed25519: key,
  };
}

function importEc(params: Tlv | undefined, point: Buffer, spki: Buffer): ImportedKey {
  const curve = params?.tag === TAG.oid ? EC_CURVES[readOid(params)] : undefined;
  if (curve === undefined) throw new DerError('unsupported elliptic curve');
  if (point[0] !== 0x04 || point.length !== 1 + 2 * curve.size) {
    // Go reads only uncompressed points; so do we.
    throw new DerError('failed to unmarshal elliptic curve point');
  }
  const x = point.subarray(1, 1 + curve.size);
  const y = point.subarray(1 + curve.size);
  return {
    publicKey: fromJwk({ kty: 'EC', crv: curve.crv, x: b64url(x), y: b64url(y) }),
    spki,
    keyType: 'ec',
  };
}

function importRsa(params: Tlv | undefined, key: Buffer, spki: Buffer): ImportedKey {
  const nullParams = params !== undefined && params.tag === TAG.null && content(params).length === 0;
  if (params !== undefined && !nullParams) throw new DerError('RSA key missing NULL parameters');
  const [n, e, extra] = children(readWhole(key, TAG.sequence));
  if (extra !== undefined) throw new DerError('malformed RSA public key');
  const publicKey = fromJwk({
    kty: 'RSA',
    n: b64url(minimalUnsigned(n, 'RSA modulus')),
    e: b64url(minimalUnsigned(e, 'RSA exponent')),
  });
  // Go writes NULL parameters; re-encode the rare key that came without them.
  return {
    publicKey,
    spki: nullParams ? spki : publicKey.export({ type: 'spki', format: 'der' }),
    keyType: 'rsa',
  };
}

/** Reads a SubjectPublicKeyInfo; throws DerError for anything Go's x509 would not parse. */
export function importSpki(spkiEl: Tlv): ImportedKey {
  const [algorithm, bits, extra] = children(expectTag(spkiEl, TAG.sequence, 'public key info'));
  if (extra !== undefined) throw new DerError('malformed public key info');
  const [id, params, more] = children(expectTag(algorithm, TAG.sequence, 'public key algorithm'));
  if (more !== undefined) throw new DerError('malformed public key algorithm');
  const { bytes, unusedBits } = readBitString(expectTag(bits, TAG.bitString, 'public key'));
  if (unusedBits !== 0) throw new DerError('malformed public key');
  const spki = raw(spkiEl);
  switch (readOid(expectTag(id, TAG.oid, 'public key algorithm'))) {
    case OID.ed25519:
      return importEd25519(params, bytes, spki);
    case OID.ecPublicKey:
      return importEc(params, bytes, spki);
    case OID.rsaEncryption:
      return importRsa(params, bytes, spki);
    default:
      throw new DerError('unknown public key algorithm');
  }
}
