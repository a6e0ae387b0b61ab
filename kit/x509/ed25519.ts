// Ed25519 through libsodium (the sodium-native addon) where it loads, instead of Node's OpenSSL.
// Why: every SignCertificate call verifies one Ed25519 CSR signature and makes one Ed25519
// certificate signature (daprd's keys and sentry's issuer are Ed25519 since 1.18), and OpenSSL
// 3.5's Ed25519 costs twice what libsodium's, or Go's, does: on the reference machine 105 µs vs
// 50 µs per verification and 38 µs vs 18 µs per signature (docs/sentry.md, "What a
// SignCertificate costs"). The calls are synchronous: at ~70 µs per request that is cheaper than
// handing each to libuv's thread pool, whose wake-ups cost more CPU than they free on a busy
// two-core node.
//
// OpenSSL stays in use when the addon has no build for this platform (sodium-native ships
// prebuilt binaries for linux x64 and arm64, not s390x or ppc64le), when Node runs in FIPS mode
// (only the FIPS provider may do the cryptography then), or when DAPR_TS_ED25519=openssl.
import { createRequire } from 'node:module';
import { getFips, type KeyObject } from 'node:crypto';

/** The part of sodium-native used here. */
interface Sodium {
  crypto_sign_detached(signature: Buffer, message: Buffer, secretKey: Buffer): void;
  crypto_sign_verify_detached(signature: Buffer, message: Buffer, publicKey: Buffer): boolean;
  crypto_sign_seed_keypair(publicKey: Buffer, secretKey: Buffer, seed: Buffer): void;
}

const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;
const SECRET_KEY_BYTES = 64;
const SEED_BYTES = 32;

/** Ed25519 done outside OpenSSL: synchronous, on the calling thread. */
export interface Ed25519Native {
  readonly name: string;
  /** RFC 8032 verification with the key's 32 bytes; false for any malformed input. */
  verify(message: Buffer, signature: Buffer, publicKey: Buffer): boolean;
  /** A signing function for this private key (the key is expanded once, here). */
  signer(privateKey: KeyObject): (message: Buffer) => Buffer;
}

/** The raw 32 bytes of an Ed25519 key's JWK member (`x` public, `d` private seed). */
export function jwkBytes(key: KeyObject, member: 'x' | 'd'): Buffer {
  const value = key.asymmetricKeyType === 'ed25519' ? key.export({ format: 'jwk' })[member] : undefined;
  if (typeof value !== 'string')
    throw new Error(`not an Ed25519 ${member === 'd' ? 'private' : 'public'} key`);
  return Buffer.from(value, 'base64url');
}

export function libsodiumEd25519(sodium: Sodium): Ed25519Native {
  return {
    name: 'libsodium',
    verify(message, signature, publicKey) {
      if (signature.length !== SIGNATURE_BYTES || publicKey.length !== PUBLIC_KEY_BYTES) return false;
      return sodium.crypto_sign_verify_detached(signature, message, publicKey);
    },
    signer(privateKey) {
      const seed = jwkBytes(privateKey, 'd');
      if (seed.length !== SEED_BYTES) throw new Error('not an Ed25519 private key');
      const secretKey = Buffer.alloc(SECRET_KEY_BYTES);
      sodium.crypto_sign_seed_keypair(Buffer.alloc(PUBLIC_KEY_BYTES), secretKey, seed);
      seed.fill(0);
      return (message) => {
        const signature = Buffer.allocUnsafe(SIGNATURE_BYTES);
        sodium.crypto_sign_detached(signature, message, secretKey);
        return signature;
      };
    },
  };
}

export type Ed25519Choice =
  | { readonly native: Ed25519Native; readonly reason: string }
  | { readonly native: undefined; readonly reason: string };

/** Which Ed25519 to use, and why (sentry logs it at startup). */
export function chooseEd25519(env: NodeJS.ProcessEnv, fips: boolean, load: () => Sodium): Ed25519Choice {
  const asked = env.DAPR_TS_ED25519;
  if (asked === 'openssl') return { native: undefined, reason: 'DAPR_TS_ED25519=openssl' };
  if (asked !== undefined && asked !== '' && asked !== 'libsodium') {
    return { native: undefined, reason: `unknown DAPR_TS_ED25519=${asked}, using OpenSSL` };
  }
  if (fips) return { native: undefined, reason: 'Node runs in FIPS mode' };
  try {
    return { native: libsodiumEd25519(load()), reason: 'libsodium (sodium-native)' };
  } catch (err) {
    return {
      native: undefined,
      reason: `libsodium did not load on ${process.platform}-${process.arch}: ${(err as Error).message}`,
    };
  }
}

const require = createRequire(import.meta.url);
const loadSodium = (): Sodium => require('sodium-native') as Sodium;

/** This process's choice, made once at first import. */
export const ed25519: Ed25519Choice = chooseEd25519(process.env, getFips() === 1, loadSodium);
