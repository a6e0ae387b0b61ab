import { describe, expect, it } from '@jest/globals';
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { chooseEd25519, ed25519, jwkBytes, type Ed25519Native } from './ed25519.js';
import { verifySignature, verifySignatureAsync } from './algorithms.js';
import { oid, readWhole, sequence, TAG } from './der.js';
import { OID } from './oids.js';
import { importSpki } from './public-key.js';

const require = createRequire(import.meta.url);
const prebuilt = existsSync(
  join(dirname(require.resolve('sodium-native')), 'prebuilds', `${process.platform}-${process.arch}`),
);

// libsodium must be what this process uses wherever sodium-native ships a build: a missing or
// broken addon fails here instead of silently costing sentry half its throughput.
function native(): Ed25519Native {
  if (ed25519.native === undefined) throw new Error(`libsodium is not in use: ${ed25519.reason}`);
  return ed25519.native;
}

/** A private key from an arbitrary 32-byte seed (PKCS#8 prefix for Ed25519, RFC 8410). */
function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
  return createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
}

const raw = (publicKey: KeyObject): Buffer => jwkBytes(publicKey, 'x');

const seeds = fc.uint8Array({ minLength: 32, maxLength: 32 });
const messages = fc.uint8Array({ maxLength: 600 }).map((m) => Buffer.from(m));

/** The group order L, little-endian, as Ed25519 encodes S. */
const L = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');

function addLittleEndian(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(32);
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const sum = a[i]! + b[i]! + carry;
    out[i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}

describe('Ed25519 through libsodium', () => {
  it('is in use on every platform sodium-native has a build for', () => {
    if (!prebuilt) {
      expect(ed25519.native).toBeUndefined();
      return;
    }
    expect(ed25519.reason).toBe('libsodium (sodium-native)');
    expect(native().name).toBe('libsodium');
  });

  it('signs byte for byte as OpenSSL does (Ed25519 is deterministic)', () => {
    fc.assert(
      fc.property(seeds, messages, (seed, message) => {
        const key = privateKeyFromSeed(seed);
        expect(native().signer(key)(message)).toEqual(sign(null, message, key));
      }),
      { numRuns: 200 },
    );
  });

  it('accepts and refuses exactly what OpenSSL does for honest keys', () => {
    const verdicts = (message: Buffer, signature: Buffer, publicKey: KeyObject): [boolean, boolean] => [
      native().verify(message, signature, raw(publicKey)),
      verify(null, message, publicKey, signature),
    ];
    fc.assert(
      fc.property(seeds, messages, fc.nat(511), fc.nat(), (seed, message, bit, other) => {
        const key = privateKeyFromSeed(seed);
        const publicKey = createPublicKey(key);
        const signature = sign(null, message, key);
        expect(verdicts(message, signature, publicKey)).toEqual([true, true]);
        // One flipped bit of the signature.
        const flipped = Buffer.from(signature);
        flipped[bit >> 3]! ^= 1 << (bit & 7);
        expect(verdicts(message, flipped, publicKey)).toEqual([false, false]);
        // Another message, another key.
        const changed = Buffer.concat([message, Buffer.from([other & 0xff])]);
        expect(verdicts(changed, signature, publicKey)).toEqual([false, false]);
        const stranger = generateKeyPairSync('ed25519').publicKey;
        expect(verdicts(message, signature, stranger)).toEqual([false, false]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a non-canonical S (S + L), as OpenSSL and Go do', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const message = Buffer.from('malleable');
    const signature = sign(null, message, privateKey);
    const malleated = Buffer.concat([signature.subarray(0, 32), addLittleEndian(signature.subarray(32), L)]);
    expect(native().verify(message, malleated, raw(publicKey))).toBe(false);
    expect(verify(null, message, publicKey, malleated)).toBe(false);
  });

  it('refuses signatures of the wrong length instead of throwing', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signature = sign(null, Buffer.from('m'), privateKey);
    expect(native().verify(Buffer.from('m'), signature.subarray(0, 63), raw(publicKey))).toBe(false);
    expect(
      native().verify(Buffer.from('m'), Buffer.concat([signature, Buffer.from([0])]), raw(publicKey)),
    ).toBe(false);
  });

  it('refuses a small-order public key (a key anyone can sign for), as OpenSSL does', () => {
    // The identity point as A and R, S = 0: [S]B = R + [k]A holds for every message.
    const identity = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]);
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: identity.toString('base64url') },
      format: 'jwk',
    });
    const forged = Buffer.concat([identity, Buffer.alloc(32)]);
    expect(verify(null, Buffer.from('any'), publicKey, forged)).toBe(false);
    expect(native().verify(Buffer.from('any'), forged, raw(publicKey))).toBe(false);
  });

  it('refuses a signer for a key that is not Ed25519', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => native().signer(privateKey)).toThrow(/not an Ed25519 private key/);
  });
});

describe('choosing Ed25519', () => {
  const load = (): never => {
    throw new Error('no build for this platform');
  };
  const sodium = (): never => require('sodium-native') as never;

  it('uses libsodium by default, or when asked by name', () => {
    expect(chooseEd25519({}, false, sodium).native?.name).toBe('libsodium');
    expect(chooseEd25519({ DAPR_TS_ED25519: 'libsodium' }, false, sodium).native?.name).toBe('libsodium');
  });

  it('uses OpenSSL when told to, in FIPS mode, for an unknown value, and when the addon does not load', () => {
    expect(chooseEd25519({ DAPR_TS_ED25519: 'openssl' }, false, sodium)).toEqual({
      native: undefined,
      reason: 'DAPR_TS_ED25519=openssl',
    });
    expect(chooseEd25519({}, true, sodium)).toEqual({ native: undefined, reason: 'Node runs in FIPS mode' });
    expect(chooseEd25519({ DAPR_TS_ED25519: 'fast' }, false, sodium).reason).toBe(
      'unknown DAPR_TS_ED25519=fast, using OpenSSL',
    );
    const failed = chooseEd25519({}, false, load);
    expect(failed.native).toBeUndefined();
    expect(failed.reason).toMatch(/^libsodium did not load on .*: no build for this platform$/);
  });
});

describe('verifying Ed25519 signed structures', () => {
  const algorithm = readWhole(sequence(oid(OID.ed25519)), TAG.sequence);

  it('gives the same verdicts through either engine, from a KeyObject or an imported SPKI', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const imported = importSpki(readWhole(publicKey.export({ type: 'spki', format: 'der' }), TAG.sequence));
    const data = Buffer.from('certification request info');
    const good = { data, algorithm, signature: sign(null, data, privateKey) };
    const bad = { ...good, data: Buffer.from('something else') };
    for (const engine of [native(), 'openssl'] as const) {
      for (const key of [publicKey, imported]) {
        expect(verifySignature(good, key, { ed25519: engine })).toBe(true);
        expect(verifySignature(bad, key, { ed25519: engine })).toBe(false);
        await expect(verifySignatureAsync(good, key, { ed25519: engine })).resolves.toBe(true);
        await expect(verifySignatureAsync(bad, key, { ed25519: engine })).resolves.toBe(false);
      }
    }
  });
});
