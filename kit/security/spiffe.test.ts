import { describe, expect, it } from '@jest/globals';
import {
  daprSpiffeId,
  parseDaprId,
  parseSpiffeId,
  parseTrustDomain,
  sentrySpiffeId,
  SpiffeError,
} from './spiffe.js';

describe('sentry §3 SPIFFE trust domains (go-spiffe rules)', () => {
  it.each([
    ['a plain name', 'cluster.local', 'cluster.local'],
    ['digits, dash and underscore', 'td-1_x.example', 'td-1_x.example'],
    ['the trust domain of a SPIFFE ID', 'spiffe://public/ns/default/app', 'public'],
    ['a bare SPIFFE ID', 'spiffe://example.org', 'example.org'],
  ])('accepts %s', (_name, input, want) => {
    expect(parseTrustDomain(input)).toBe(want);
  });

  it.each([
    ['empty', ''],
    ['uppercase letters', 'Cluster.local'],
    ['a colon', 'host:80'],
    ['a space', 'a b'],
    ['non-ASCII', 'dømain'],
    ['a URL of another scheme', 'https://example.org'],
  ])('rejects %s', (_name, input) => {
    expect(() => parseTrustDomain(input)).toThrow(SpiffeError);
  });
});

describe('sentry §3 SPIFFE IDs', () => {
  it('builds spiffe://<td>/ns/<namespace>/<app-id>', () => {
    expect(daprSpiffeId('public', 'default', 'my-app_1.x')).toBe('spiffe://public/ns/default/my-app_1.x');
    expect(sentrySpiffeId('cluster.local', 'dapr-system')).toBe(
      'spiffe://cluster.local/ns/dapr-system/dapr-sentry',
    );
  });

  it.each([
    ['an empty trust domain', '', 'ns', 'app'],
    ['an empty namespace', 'public', '', 'app'],
    ['an empty app id', 'public', 'ns', ''],
    ['a slash in the app id', 'public', 'ns', 'a/b'],
    ['a dot segment', 'public', '..', 'app'],
    ['a colon in the namespace', 'public', 'a:b', 'app'],
    ['an uppercase trust domain', 'Public', 'ns', 'app'],
  ])('refuses %s', (_name, td, ns, app) => {
    expect(() => daprSpiffeId(td, ns, app)).toThrow(SpiffeError);
  });

  it('parses any SPIFFE ID and Dapr identities with exactly three segments', () => {
    expect(parseSpiffeId('spiffe://td/a/b')).toEqual({ trustDomain: 'td', segments: ['a', 'b'] });
    expect(parseDaprId('spiffe://td/ns/default/app')).toEqual({
      trustDomain: 'td',
      namespace: 'default',
      appId: 'app',
    });
    for (const bad of [
      'spiffe://td/ns/default',
      'spiffe://td/ns/default/app/extra',
      'spiffe://td/namespace/default/app',
      'spiffe://td/ns//app',
      'spiffe://td/ns/default/app/',
      'http://td/ns/default/app',
      'spiffe:///ns/default/app',
    ]) {
      expect(() => parseDaprId(bad)).toThrow(SpiffeError);
    }
  });
});
