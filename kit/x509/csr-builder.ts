// Builds the CSR a Dapr client sends: empty subject, no attributes, signed with the client's key
// (what daprd's Go code produces from an empty x509.CertificateRequest). Sentry itself needs no
// CSR; this is for tests and for our own control-plane services asking sentry for certificates.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { signingKey } from './algorithms.js';
import { bitString, explicit, sequence, smallInteger } from './der.js';
import { encodePem } from './pem.js';

export interface CsrOptions {
  /** Overrides the signature (tests: a CSR whose signature does not verify). */
  readonly corruptSignature?: boolean;
}

/** DER of a PKCS#10 request for `privateKey`'s public key. */
export function createCsrDer(privateKey: KeyObject, options: CsrOptions = {}): Buffer {
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const info = sequence(smallInteger(0), sequence(), spki, explicit(0));
  const key = signingKey(privateKey, publicKey);
  const signature = key.sign(info);
  if (options.corruptSignature === true) signature[signature.length - 1]! ^= 0x01;
  return sequence(info, key.algorithm, bitString(signature));
}

/** The PEM (`CERTIFICATE REQUEST`) SignCertificateRequest.certificate_signing_request carries. */
export function createCsrPem(privateKey: KeyObject, options: CsrOptions = {}): Buffer {
  return Buffer.from(encodePem('CERTIFICATE REQUEST', createCsrDer(privateKey, options)), 'ascii');
}
