import { describe, expect, it } from '@jest/globals';
import { bundleKeys, configMapData, readSecret, secretData } from './bundle-layout.js';
import { testBundle } from './testing/bundles.js';

const keys = bundleKeys({
  rootCaFilename: 'ca.crt',
  issuerCertFilename: '/abs/path/issuer.crt',
  issuerKeyFilename: 'issuer.key',
});
const bundle = testBundle();

describe('sentry §5 storage shapes', () => {
  it('key names are the base names of the --issuer-*-filename flags', () => {
    expect(keys).toEqual({ trustAnchors: 'ca.crt', issuerChain: 'issuer.crt', issuerKey: 'issuer.key' });
  });

  it('the Secret holds base64 PEMs under ca.crt, issuer.crt, issuer.key and keeps other keys', () => {
    const data = secretData(bundle, keys, { data: { 'jwt.key': 'abc' } });
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'issuer.crt', 'issuer.key', 'jwt.key']);
    expect(Buffer.from(data['ca.crt']!, 'base64')).toEqual(bundle.trustAnchorsPem);
    expect(readSecret({ data }, keys)).toEqual({
      trustAnchors: bundle.trustAnchorsPem,
      issuerChain: bundle.issuerChainPem,
      issuerKey: bundle.issuerKeyPem,
    });
  });

  it('the ConfigMap holds the anchors PEM as plain text under ca.crt', () => {
    expect(configMapData(bundle, keys, { data: { 'jwks.json': '{}' } })).toEqual({
      'ca.crt': bundle.trustAnchorsPem.toString(),
      'jwks.json': '{}',
    });
  });
});
