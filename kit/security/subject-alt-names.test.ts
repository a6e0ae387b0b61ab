import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import {
  CertificateDerError,
  checkOnlyUriSan,
  daprIdOfCertificate,
  subjectAltNames,
  uriSansOf,
} from './subject-alt-names.js';
import { certificateWithSans } from '../testing/san-certificate.js';
import { growth, LINEAR_RATIO_LIMIT, PROPERTY_RUNS } from '../testing/hostile.js';

const FORGED_DNS = 'x, URI:spiffe://td/ns/victim/app, DNS:y';

describe('subjectAltName from the certificate DER (issue 15)', () => {
  it("a DNS name holding ', URI:...' is one DNS name, whatever Node's text makes of it", async () => {
    const der = await certificateWithSans([{ type: 'dns', value: FORGED_DNS }]);
    // Node's text is a rendering (this one quotes and escapes the name; Node before 17 did not
    // and split into a forged URI entry): its entries are not the certificate's.
    expect(new X509Certificate(der).subjectAltName).not.toBe(`DNS:${FORGED_DNS}`);
    expect(subjectAltNames(der)).toEqual({ dns: [FORGED_DNS], uris: [], other: 0 });
    expect(daprIdOfCertificate(der)).toBeUndefined();
    expect(checkOnlyUriSan(der, 'spiffe://td/ns/victim/app')?.message).toBe(
      'the certificate names [], expected exactly spiffe://td/ns/victim/app',
    );
  });

  it('reads exactly one spiffe://<td>/ns/<ns>/<id>, and nothing longer or shorter', async () => {
    const id = async (...uris: string[]): Promise<unknown> =>
      daprIdOfCertificate(await certificateWithSans(uris.map((value) => ({ type: 'url', value }))));
    expect(await id('spiffe://td/ns/default/app')).toEqual({
      trustDomain: 'td',
      namespace: 'default',
      appId: 'app',
    });
    expect(await id('spiffe://td/ns/default/app/extra')).toBeUndefined();
    expect(await id('spiffe://td/ns/default')).toBeUndefined();
    expect(await id('spiffe://td/ns/a/b', 'spiffe://td/ns/a/b')).toBeUndefined();
    expect(daprIdOfCertificate(undefined)).toBeUndefined();
  });

  it('keeps DNS and URI entries in order, and a certificate without the extension has none', async () => {
    const der = await certificateWithSans([
      { type: 'dns', value: 'a.svc' },
      { type: 'url', value: 'spiffe://td/ns/n/i' },
      { type: 'dns', value: 'b.svc' },
    ]);
    expect(subjectAltNames(der)).toEqual({
      dns: ['a.svc', 'b.svc'],
      uris: ['spiffe://td/ns/n/i'],
      other: 0,
    });
    expect(subjectAltNames(await certificateWithSans([]))).toEqual({ dns: [], uris: [], other: 0 });
  });

  it('property: truncated, mutated or random DER gives a CertificateDerError or names, never another throw', async () => {
    const der = await certificateWithSans([
      { type: 'dns', value: 'a.svc' },
      { type: 'url', value: 'spiffe://td/ns/n/i' },
    ]);
    const mutated = fc
      .tuple(fc.nat(der.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(der.length))
      .map(([at, byte, cut]) => {
        const copy = Buffer.from(der);
        copy[at] = byte;
        return copy.subarray(0, cut === 0 ? der.length : cut);
      });
    const random = fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b));
    fc.assert(
      fc.property(fc.oneof(mutated, random), (input) => {
        try {
          const names = subjectAltNames(input);
          for (const n of [...names.dns, ...names.uris]) expect(typeof n).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(CertificateDerError);
        }
        expect(Array.isArray(uriSansOf(input))).toBe(true);
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('time grows linearly with the number of SAN entries', async () => {
    const sizes = new Map<number, Buffer>();
    for (const n of [500, 2000]) {
      sizes.set(
        n,
        await certificateWithSans(Array.from({ length: n }, (_, i) => ({ type: 'dns', value: `h${i}.svc` }))),
      );
    }
    const g = await growth(
      (n) => sizes.get(n)!,
      (der) => subjectAltNames(der),
      500,
    );
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
