// Test helper: a self-signed certificate with exactly the SAN entries given, including ones no
// CA of ours would sign (a DNS name holding ", URI:..."), to test identity parsing (issue 15).
import 'reflect-metadata'; // @peculiar/x509's dependency injection needs it loaded first
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface SanEntry {
  readonly type: 'dns' | 'url';
  readonly value: string;
}

/** DER of a P-256 self-signed certificate whose SAN extension holds `names` (none: no extension). */
export async function certificateWithSans(names: readonly SanEntry[]): Promise<Buffer> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, false, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=san-test',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3_600_000),
    signingAlgorithm: alg,
    keys,
    extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension([...names])] : [],
  });
  return Buffer.from(cert.rawData);
}
