import { describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createCsrDer, createCsrPem } from '../../kit/x509/csr-builder.js';
import { readCsr } from './csr.js';
import { encodePem } from '../../kit/x509/pem.js';
import { KEY_KINDS, opensslCsr, openssl, privateKey, keyPem } from './testing/keys.js';
import { SentryError } from '../errors.js';

async function failure(pending: Promise<unknown>): Promise<{ kind: string; message: string }> {
  const err = await pending.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (err instanceof SentryError) return { kind: err.kind, message: err.message };
  throw err;
}

describe('sentry §1 CSR: accepted keys', () => {
  it.each(KEY_KINDS)('takes the public key from our own %s CSR', async (kind) => {
    const key = privateKey(kind);
    const csr = await readCsr(createCsrPem(key));
    expect(csr.publicKey.asymmetricKeyType).toBe(key.asymmetricKeyType);
    expect(csr.spki).toEqual(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  });

  it.each(KEY_KINDS)('accepts an OpenSSL-made %s CSR', async (kind) => {
    await expect(readCsr(opensslCsr(privateKey(kind)))).resolves.toBeDefined();
  });

  it('accepts RSASSA-PSS signatures with Go-compatible parameters (SHA-256, salt 32)', async () => {
    const pss = opensslCsr(privateKey('rsa2048'), [
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sigopt',
      'rsa_pss_saltlen:32',
      '-sha256',
    ]);
    await expect(readCsr(pss)).resolves.toBeDefined();
  });

  it('accepts SHA-1 signed requests, as Go does for CSRs', async () => {
    await expect(readCsr(opensslCsr(privateKey('p256'), ['-sha1']))).resolves.toBeDefined();
  });

  it('accepts the legacy CERTIFICATE PEM type that daprd < 1.12 sent', async () => {
    const der = createCsrDer(privateKey('p256'));
    await expect(readCsr(Buffer.from(encodePem('CERTIFICATE', der)))).resolves.toBeDefined();
  });

  it('ignores text around the PEM block', async () => {
    const pem = createCsrPem(privateKey('ed25519'));
    await expect(
      readCsr(Buffer.concat([Buffer.from('hello\n'), pem, Buffer.from('bye')])),
    ).resolves.toBeDefined();
  });
});

describe('sentry §1 CSR: errors (InvalidArgument kinds)', () => {
  it.each([
    ['no PEM block at all', Buffer.from('not a pem')],
    ['a PEM block of another type', Buffer.from(encodePem('PRIVATE KEY', Buffer.from([1, 2, 3])))],
    ['an empty CSR', Buffer.alloc(0)],
  ])('%s is an invalid certificate signing request', async (_name, pem) => {
    expect(await failure(readCsr(pem))).toEqual({
      kind: 'invalidCsr',
      message: 'invalid certificate signing request',
    });
  });

  it.each([
    ['garbage DER', Buffer.from('hello world')],
    [
      'trailing data after the request',
      Buffer.concat([createCsrDer(privateKey('ed25519')), Buffer.from([0])]),
    ],
    ['a truncated request', createCsrDer(privateKey('ed25519')).subarray(0, 40)],
  ])('%s fails to parse', async (_name, der) => {
    const f = await failure(readCsr(Buffer.from(encodePem('CERTIFICATE REQUEST', der))));
    expect(f.kind).toBe('csrParse');
    expect(f.message).toMatch(/^failed to parse certificate signing request: /);
  });

  it.each([
    ['Ed448', generateKeyPairSync('ed448').privateKey],
    ['a brainpool curve', generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).privateKey],
  ])('a %s key, which Go cannot parse, fails to parse', async (_name, key) => {
    const csr = openssl(['req', '-new', '-key', 'key.pem', '-subj', '/'], { 'key.pem': keyPem(key) });
    expect((await failure(readCsr(csr))).kind).toBe('csrParse');
  });

  it.each(KEY_KINDS)('a %s request with a corrupted signature has an invalid signature', async (kind) => {
    const pem = createCsrPem(privateKey(kind), { corruptSignature: true });
    expect(await failure(readCsr(pem))).toEqual({ kind: 'csrSignature', message: 'invalid signature' });
  });

  it('a request signed by another key has an invalid signature', async () => {
    const a = createCsrDer(privateKey('ed25519', true));
    const b = createCsrDer(privateKey('ed25519', true));
    // Keep a's request info, put b's signature on it.
    const spliced = Buffer.concat([a.subarray(0, a.length - 64), b.subarray(b.length - 64)]);
    expect((await failure(readCsr(Buffer.from(encodePem('CERTIFICATE REQUEST', spliced))))).kind).toBe(
      'csrSignature',
    );
  });

  it('an RSA key under 1024 bits does not verify (Go 1.24+ refuses it)', async () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 768 }).privateKey;
    expect((await failure(readCsr(createCsrPem(small)))).kind).toBe('csrSignature');
  });
});
