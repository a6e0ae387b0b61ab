// The JWT-SVID signing key and the JWKS that publishes it (docs/contracts/sentry.md §5 "Startup logic", step 4
// and §7 "JWT-SVIDs"): generate a fresh pair, or check a stored pair before signing with it.
// Pure functions over the two stored byte strings; jwt/store.ts reads and writes them.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

const generateKeyPairAsync = promisify(generateKeyPair);

/** A stored JWKS is operator input: bound what is parsed. */
export const MAX_JWKS_BYTES = 1024 * 1024;
export const MAX_JWKS_KEYS = 100;

export const DEFAULT_JWT_ALGORITHM = 'RS256';

/** A stored pair that cannot be used: sentry stops at startup with this message. */
export class JwtKeyError extends Error {
  override readonly name = 'JwtKeyError';
}

/** What the store holds: the PKCS#8 PEM key (`jwt.key`) and the JWKS JSON (`jwks.json`). */
export interface JwtKeyFiles {
  readonly signingKeyPem: Buffer;
  readonly jwksJson: Buffer;
}

/** A checked key, ready to sign with. */
export interface JwtSigningKey {
  readonly key: KeyObject;
  /** The `kid` header of every token. */
  readonly kid: string;
  /** The `alg` header of every token. */
  readonly algorithm: string;
  /** Served as-is by the OIDC server. */
  readonly jwksJson: Buffer;
}

/** Which JWS algorithms a key can sign with (upstream refuses a mismatch at startup). */
function algorithmsFor(key: KeyObject): readonly string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return ['ES256'];
      if (curve === 'secp384r1') return ['ES384'];
      if (curve === 'secp521r1') return ['ES512'];
      return [];
    }
    case 'ed25519':
      return ['EdDSA'];
    default:
      return [];
  }
}

/** The default key id: standard base64 (padded) of the RFC 7638 SHA-256 thumbprint, as upstream. */
export async function thumbprintKeyId(publicJwk: JWK): Promise<string> {
  return Buffer.from(await calculateJwkThumbprint(publicJwk, 'sha256'), 'base64url').toString('base64');
}

async function publicJwkOf(key: KeyObject): Promise<JWK> {
  return exportJWK(createPublicKey(key));
}

/** A new RSA-2048 key and a one-key JWKS with its thumbprint kid, alg RS256 and use sig. */
export async function generateJwtKeyFiles(): Promise<JwtKeyFiles> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
  const publicJwk = await publicJwkOf(privateKey);
  const kid = await thumbprintKeyId(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: DEFAULT_JWT_ALGORITHM, use: 'sig' }] };
  return {
    signingKeyPem: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    jwksJson: Buffer.from(JSON.stringify(jwks)),
  };
}

interface JwksKey {
  readonly kid?: unknown;
  readonly use?: unknown;
  readonly [member: string]: unknown;
}

/** Parses a JWKS document into its keys; throws a JwtKeyError saying what is wrong. */
export function parseJwks(json: Buffer | string): readonly JwksKey[] {
  const size = typeof json === 'string' ? Buffer.byteLength(json) : json.length;
  if (size > MAX_JWKS_BYTES) throw new JwtKeyError(`JWKS is larger than ${MAX_JWKS_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString());
  } catch (err) {
    throw new JwtKeyError(`failed to parse JWKS: ${(err as Error).message}`, { cause: err });
  }
  const keys = (doc as { keys?: unknown } | null)?.keys;
  if (typeof doc !== 'object' || doc === null || !Array.isArray(keys)) {
    throw new JwtKeyError('failed to parse JWKS: not a JSON object with a "keys" list');
  }
  if (keys.length > MAX_JWKS_KEYS) throw new JwtKeyError(`JWKS has more than ${MAX_JWKS_KEYS} keys`);
  return keys.filter((k): k is JwksKey => typeof k === 'object' && k !== null);
}

/** Whether a JWKS entry is a signing key with the same public key material. */
function sameKey(entry: JwksKey, publicKey: KeyObject): boolean {
  if (entry.use !== undefined && entry.use !== 'sig') return false;
  try {
    const entryKey = createPublicKey({ key: entry as JsonWebKey, format: 'jwk' });
    return entryKey.equals(publicKey);
  } catch {
    return false;
  }
}

/**
 * Checks that the JWKS publishes the signing key: by the configured kid when one is given (that
 * entry must hold the same key), else by key material. Throws a JwtKeyError.
 */
export function verifyJwks(jwksJson: Buffer, signingKey: KeyObject, keyId: string | undefined): void {
  const keys = parseJwks(jwksJson);
  if (keys.length === 0) throw new JwtKeyError("JWKS doesn't contain any keys");
  const publicKey = createPublicKey(signingKey);
  if (keyId !== undefined) {
    const named = keys.filter((k) => k.kid === keyId);
    if (named.length === 0)
      throw new JwtKeyError(`JWKS doesn't contain a key with user-provided key ID "${keyId}"`);
    if (!named.some((k) => sameKey(k, publicKey))) {
      throw new JwtKeyError(
        `JWKS contains a key with user-provided key ID "${keyId}" but the key content doesn't match the signing key`,
      );
    }
    return;
  }
  if (!keys.some((k) => sameKey(k, publicKey))) {
    throw new JwtKeyError("JWKS doesn't contain a matching public key for the JWT signing key");
  }
}

export interface SigningKeyOptions {
  /** --jwt-key-id when given. */
  readonly keyId?: string;
  /** --jwt-signing-algorithm. */
  readonly algorithm: string;
}

/** Loads and checks a stored pair; throws a JwtKeyError when it cannot be used. */
export async function loadSigningKey(files: JwtKeyFiles, options: SigningKeyOptions): Promise<JwtSigningKey> {
  let key: KeyObject;
  try {
    key = createPrivateKey(files.signingKeyPem);
  } catch (err) {
    throw new JwtKeyError(`failed to load JWT signing key: ${(err as Error).message}`, { cause: err });
  }
  if (!algorithmsFor(key).includes(options.algorithm)) {
    throw new JwtKeyError(
      `JWT signing key (${key.asymmetricKeyType ?? 'unknown type'}) is incompatible with algorithm ${options.algorithm}`,
    );
  }
  try {
    verifyJwks(files.jwksJson, key, options.keyId);
  } catch (err) {
    if (err instanceof JwtKeyError)
      throw new JwtKeyError(`failed to verify JWKS: ${err.message}`, { cause: err });
    throw err;
  }
  const kid = options.keyId ?? (await thumbprintKeyId(await publicJwkOf(key)));
  return { key, kid, algorithm: options.algorithm, jwksJson: files.jwksJson };
}
