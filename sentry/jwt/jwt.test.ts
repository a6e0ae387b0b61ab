// docs/contracts/sentry.md §5 step 4 (JWT key and JWKS) and §7 "JWT-SVIDs": generation, the checks a stored
// pair must pass, the file store, and the tokens the issuer signs.
import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, jwtVerify, type JSONWebKeySet } from 'jose';
import { logger } from '../../kit/logger.js';
import { JwtIssuer } from './issuer.js';
import {
  generateJwtKeyFiles,
  JwtKeyError,
  loadSigningKey,
  thumbprintKeyId,
  type JwtKeyFiles,
} from './keys.js';
import { FileJwtKeyStore, loadOrCreateSigningKey } from './store.js';

const jwksOf = (files: JwtKeyFiles): JSONWebKeySet => JSON.parse(files.jwksJson.toString()) as JSONWebKeySet;

describe('JWT signing key and JWKS', () => {
  it('generates RSA-2048 with a one-key JWKS: thumbprint kid (standard base64), RS256, use sig', async () => {
    const files = await generateJwtKeyFiles();
    expect(files.signingKeyPem.toString()).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const [key] = jwksOf(files).keys;
    expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    const { kty, n, e } = key!;
    expect(key!.kid).toBe(await thumbprintKeyId({ kty, n, e }));
    expect(key!.kid).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const signing = await loadSigningKey(files, { algorithm: 'RS256' });
    expect(signing.kid).toBe(key!.kid);
  });

  it('refuses a JWKS that is empty, is not JSON, or holds another key', async () => {
    const files = await generateJwtKeyFiles();
    const other = await generateJwtKeyFiles();
    const load = (jwksJson: string): Promise<unknown> =>
      loadSigningKey({ ...files, jwksJson: Buffer.from(jwksJson) }, { algorithm: 'RS256' });
    await expect(load('')).rejects.toThrow(JwtKeyError);
    await expect(load('{"keys":[]}')).rejects.toThrow(/doesn't contain any keys/);
    await expect(load(other.jwksJson.toString())).rejects.toThrow(/doesn't contain a matching public key/);
  });

  it('with --jwt-key-id: that entry must exist and hold the signing key; tokens carry that kid', async () => {
    const files = await generateJwtKeyFiles();
    const jwks = jwksOf(files);
    const renamed = Buffer.from(JSON.stringify({ keys: [{ ...jwks.keys[0], kid: 'user-kid' }] }));
    const key = await loadSigningKey(
      { ...files, jwksJson: renamed },
      { algorithm: 'RS256', keyId: 'user-kid' },
    );
    expect(key.kid).toBe('user-kid');
    await expect(loadSigningKey(files, { algorithm: 'RS256', keyId: 'missing' })).rejects.toThrow(
      /doesn't contain a key with user-provided key ID "missing"/,
    );
  });

  it('refuses an algorithm the key cannot sign with', async () => {
    const files = await generateJwtKeyFiles();
    await expect(loadSigningKey(files, { algorithm: 'ES256' })).rejects.toThrow(
      /incompatible with algorithm ES256/,
    );
  });

  it('accepts an EC P-256 key for ES256', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = await exportJWK(publicKey);
    const files = {
      signingKeyPem: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })),
      jwksJson: Buffer.from(JSON.stringify({ keys: [{ ...jwk, use: 'sig' }] })),
    };
    expect((await loadSigningKey(files, { algorithm: 'ES256' })).algorithm).toBe('ES256');
  });
});

describe('FileJwtKeyStore', () => {
  it('generates and stores a pair (mode 0600) when a file is missing, and reuses it afterwards', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwt-store-'));
    try {
      const store = new FileJwtKeyStore(dir, { keyFilename: 'jwt.key', jwksFilename: 'jwks.json' });
      const log = logger('test');
      const first = await loadOrCreateSigningKey(store, { algorithm: 'RS256' }, log);
      expect(statSync(join(dir, 'jwt.key')).mode & 0o777).toBe(0o600);
      const second = await loadOrCreateSigningKey(store, { algorithm: 'RS256' }, log);
      expect(second.kid).toBe(first.kid);
      // A stored pair that does not check out is fatal, never silently replaced.
      writeFileSync(join(dir, 'jwks.json'), '');
      await expect(loadOrCreateSigningKey(store, { algorithm: 'RS256' }, log)).rejects.toThrow(JwtKeyError);
      expect(readFileSync(join(dir, 'jwks.json'), 'utf8')).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JwtIssuer', () => {
  it('signs JWT-SVIDs: sub is the SPIFFE ID, aud the trust domain first, nbf back-dated, one token per audience', async () => {
    const files = await generateJwtKeyFiles();
    const key = await loadSigningKey(files, { algorithm: 'RS256' });
    const issuer = new JwtIssuer({
      key,
      issuer: 'https://oidc.example',
      allowedClockSkewMs: 60_000,
      ttlMs: 3_600_000,
    });
    const { jwt, perAudienceJwts } = await issuer.issueForResponse(
      { trustDomain: 'cluster.local', namespace: 'default', appId: 'myapp' },
      ['api', 'cluster.local'],
    );
    const keys = createLocalJWKSet(jwksOf(files));
    const { payload } = await jwtVerify(jwt, keys, { audience: 'api', issuer: 'https://oidc.example' });
    expect(payload).toMatchObject({ sub: 'spiffe://cluster.local/ns/default/myapp', use: 'sig' });
    expect(payload.aud).toEqual(['cluster.local', 'api', 'cluster.local']);
    expect(payload.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(payload.iat! - payload.nbf!).toBe(60);
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', kid: key.kid, typ: 'JWT' });
    expect([...perAudienceJwts.keys()]).toEqual(['cluster.local', 'api']);
    for (const [audience, token] of perAudienceJwts) {
      const verified = await jwtVerify(token, keys, { audience });
      expect(verified.payload.aud).toEqual([audience]);
    }
  });
});
