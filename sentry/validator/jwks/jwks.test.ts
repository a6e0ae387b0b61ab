// docs/contracts/sentry.md §4 "JWKS validator": options, sources, and the token checks (signature, audience =
// sentry's SPIFFE ID, subject = the requested identity, exp/nbf with 5 minutes of skew).
import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { logger } from '../../../kit/logger.js';
import { signRequest } from '../testing/sign-request.js';
import { JwksValidator, jwksValidatorOptions, JwksOptionsError } from './jwks.js';
import { classifySource } from './source.js';

const SENTRY_ID = 'spiffe://localhost/ns/default/dapr-sentry';
const SUBJECT = 'spiffe://public/ns/default/myapp';

async function keyPair(): Promise<{ sign: (b: SignJWT) => Promise<string>; jwks: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig' };
  return {
    sign: (b) => b.setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey),
    jwks: JSON.stringify({ keys: [jwk] }),
  };
}

const token = (): SignJWT =>
  new SignJWT({}).setAudience([SENTRY_ID]).setSubject(SUBJECT).setExpirationTime('1h');

function started(jwks: string): { validator: JwksValidator; stop: () => void } {
  const validator = new JwksValidator({
    options: jwksValidatorOptions({ source: jwks }),
    sentryId: SENTRY_ID,
    log: logger('test'),
  });
  const ac = new AbortController();
  void validator.run(ac.signal);
  return { validator, stop: () => ac.abort() };
}

describe('jwks validator options', () => {
  it('reads Go durations and whole seconds; source is required', () => {
    expect(jwksValidatorOptions({ source: 'x', minRefreshInterval: '2m', requestTimeout: 30 })).toMatchObject(
      {
        minRefreshMs: 120_000,
        requestTimeoutMs: 30_000,
      },
    );
    expect(() => jwksValidatorOptions({})).toThrow(JwksOptionsError);
    expect(() => jwksValidatorOptions({ source: 'x', requestTimeout: 'soon' })).toThrow(/requestTimeout/);
  });

  it('classifies a URL, inline JSON and base64 of inline JSON', async () => {
    expect((await classifySource('https://keys.example/jwks')).kind).toBe('url');
    expect(await classifySource(' {"keys":[]}\n')).toEqual({ kind: 'inline', json: '{"keys":[]}' });
    const b64 = Buffer.from('{"keys":[]}').toString('base64');
    expect(await classifySource(b64)).toEqual({ kind: 'inline', json: '{"keys":[]}' });
    await expect(classifySource('/no/such/file')).rejects.toThrow(/neither a URL/);
  });
});

describe('jwks validator', () => {
  it('issues for a token signed by a JWKS key, for sentry, about the requested identity', async () => {
    const keys = await keyPair();
    const { validator, stop } = started(keys.jwks);
    try {
      const good = await keys.sign(token());
      await expect(validator.validate(signRequest({ token: good }))).resolves.toEqual({
        trustDomain: 'public',
      });
    } finally {
      stop();
    }
  });

  it.each([
    ['audience', (t: SignJWT) => t.setAudience(['other']), /"aud"/],
    ['subject', (t: SignJWT) => t.setSubject('spiffe://public/ns/default/other'), /"sub"/],
    ['expiry', (t: SignJWT) => t.setExpirationTime(Math.floor(Date.now() / 1000) - 3600), /"exp"/],
    ['not-before', (t: SignJWT) => t.setNotBefore('1h'), /"nbf"/],
  ])('rejects a token with the wrong %s, naming the claim', async (_what, change, message) => {
    const keys = await keyPair();
    const { validator, stop } = started(keys.jwks);
    try {
      const bad = await keys.sign(change(token()));
      const result = validator.validate(signRequest({ token: bad }));
      await expect(result).rejects.toMatchObject({
        kind: 'validation',
        message: expect.stringMatching(/^token validation failed/) as unknown,
      });
      await expect(result).rejects.toThrow(message);
    } finally {
      stop();
    }
  });

  it('rejects a token signed by another key, and a request without a token', async () => {
    const keys = await keyPair();
    const other = await keyPair();
    const { validator, stop } = started(keys.jwks);
    try {
      const forged = await other.sign(token());
      await expect(validator.validate(signRequest({ token: forged }))).rejects.toThrow(
        /could not verify message/,
      );
      await expect(validator.validate(signRequest({ token: '' }))).rejects.toThrow(
        /does not contain a token/,
      );
    } finally {
      stop();
    }
  });
});
