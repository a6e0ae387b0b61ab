// The SignCertificate codec on untrusted bytes (issue 15): returns or throws ProtoError, in
// time linear in the message, whatever the bytes.
import { describe, expect, it } from '@jest/globals';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from './sentry.js';
import { ProtoError, Writer } from './wire.js';
import { assertDecodesOrRefuses, growth, LINEAR_RATIO_LIMIT, mutatedBytes } from '../testing/hostile.js';

const REQUEST = encodeRequest({
  id: 'app',
  token: 'header.claims.signature',
  trustDomain: 'public',
  namespace: 'default',
  certificateSigningRequest: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n'),
  tokenValidator: 2,
  jwtAudiences: ['a', 'b'],
});
const RESPONSE = encodeResponse({
  workloadCertificate: Buffer.from('leaf'),
  trustChainCertificates: [Buffer.from('anchors')],
  validUntil: new Date(1_700_000_000_000),
});

/** Messages that are long in the ways a decoder can be slow: many fields, or one long one. */
const LONG: Record<string, (n: number) => Buffer> = {
  'many repeated audiences': (n) => {
    const w = new Writer();
    for (let i = 0; i < n; i++) w.string(7, `aud${i}`);
    return w.finish();
  },
  'many unknown varint fields': (n) => {
    const w = new Writer();
    for (let i = 0; i < n; i++) w.uint(99, 2 ** 40);
    return w.finish();
  },
  'one long CSR field': (n) =>
    encodeRequest({ ...decodeRequest(REQUEST), certificateSigningRequest: Buffer.alloc(n * 8, 0x41) }),
};

describe('sentry codec on hostile bytes (issue 15)', () => {
  it('property: decodeRequest and decodeResponse return or throw ProtoError', () => {
    const clear = (err: unknown): boolean => err instanceof ProtoError;
    assertDecodesOrRefuses(mutatedBytes([REQUEST]), decodeRequest, clear);
    assertDecodesOrRefuses(mutatedBytes([RESPONSE]), decodeResponse, clear);
  });

  it.each(Object.keys(LONG))('time grows linearly: %s', async (name) => {
    const g = await growth(LONG[name]!, (b) => decodeRequest(b), 25_000);
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
