// docs/contracts/sentry.md §7 "OIDC server": routes, methods, the discovery document and the host-injection
// protections (allow-list; X-Forwarded-Host never reaches the document unless an explicit
// allow-list vetted it).
import { describe, expect, it } from '@jest/globals';
import { OidcRoutes, type OidcRequest, type OidcRoutesOptions } from './routes.js';

const JWKS = Buffer.from('{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}');

function routes(overrides: Partial<OidcRoutesOptions> = {}): OidcRoutes {
  return new OidcRoutes({ jwksJson: JWKS, allowedHosts: [], tls: false, algorithm: 'RS256', ...overrides });
}

const get = (path: string, extra: Partial<OidcRequest> = {}): OidcRequest => ({
  method: 'GET',
  path,
  host: 'localhost:9080',
  ...extra,
});

const discovery = (r: OidcRoutes, extra: Partial<OidcRequest> = {}): Record<string, unknown> => {
  const res = r.handle(get('/.well-known/openid-configuration', extra));
  expect(res.status).toBe(200);
  return JSON.parse(res.body.toString()) as Record<string, unknown>;
};

describe('OIDC routes', () => {
  it('serves the JWKS as stored and a discovery document built from the request', () => {
    const r = routes();
    const jwks = r.handle(get('/jwks.json'));
    expect(jwks).toMatchObject({ status: 200, body: JWKS });
    expect(jwks.headers).toMatchObject({
      'Content-Type': 'application/json',
      'Cache-Control': 'public, max-age=3600',
    });
    expect(discovery(r)).toEqual({
      issuer: 'http://localhost:9080',
      jwks_uri: 'http://localhost:9080/jwks.json',
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'use'],
    });
  });

  it('404 elsewhere, 405 for other methods, 404 without a JWKS', () => {
    const r = routes();
    for (const path of ['/', '/invalid', '/.well-known/invalid'])
      expect(r.handle(get(path)).status).toBe(404);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect(r.handle(get('/jwks.json', { method })).status).toBe(405);
    }
    expect(routes({ jwksJson: Buffer.alloc(0) }).handle(get('/jwks.json')).status).toBe(404);
  });

  it('path prefix, --jwt-issuer and --oidc-jwks-uri', () => {
    const r = routes({ pathPrefix: '/auth/', issuer: 'https://issuer.example/auth', tls: true });
    expect(r.handle(get('/.well-known/openid-configuration')).status).toBe(404);
    expect(discovery(r, { path: '/auth/.well-known/openid-configuration' })).toMatchObject({
      issuer: 'https://issuer.example/auth',
      jwks_uri: 'https://issuer.example/auth/jwks.json',
    });
    const custom = routes({ jwksUri: 'https://keys.example/jwks' });
    expect(discovery(custom)).toMatchObject({
      issuer: 'http://localhost:9080',
      jwks_uri: 'https://keys.example/jwks',
    });
  });

  it('allow-list: Host or X-Forwarded-Host, with or without port; 403 otherwise', () => {
    const r = routes({ allowedHosts: ['localhost', 'example.com'] });
    expect(r.handle(get('/jwks.json', { host: 'api.example.com' })).status).toBe(403);
    expect(r.handle(get('/jwks.json', { host: 'example.com:8443' })).status).toBe(200);
    expect(r.handle(get('/jwks.json', { host: 'forbidden.com', forwardedHost: 'example.com' })).status).toBe(
      200,
    );
    expect(r.handle(get('/jwks.json', { host: 'localhost', forwardedHost: 'forbidden.com' })).status).toBe(
      403,
    );
    // Vetted by the explicit list, the forwarded host may name the issuer.
    expect(discovery(r, { forwardedHost: 'example.com' }).issuer).toBe('http://example.com');
  });

  it('X-Forwarded-Host never reaches the document without an explicit allow-list (also with "*")', () => {
    for (const allowedHosts of [[], ['*']]) {
      const doc = discovery(routes({ allowedHosts }), { forwardedHost: 'attacker.example.com' });
      expect(doc.issuer).toBe('http://localhost:9080');
      expect(doc.jwks_uri).toBe('http://localhost:9080/jwks.json');
    }
  });

  it('a Host that is not a host name is refused instead of echoed', () => {
    const res = routes().handle(get('/.well-known/openid-configuration', { host: 'evil.example/path?x=' }));
    expect(res.status).toBe(400);
  });
});
