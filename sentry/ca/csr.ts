// PKCS#10 certificate signing requests (RFC 2986) as SignCertificate receives them: a PEM block,
// parsed as Go's x509.ParseCertificateRequest would, and its self-signature checked. Sentry takes
// only the public key from a CSR; the identity comes from the validated request, never from here.
import type { KeyObject } from 'node:crypto';
import { verifySignatureAsync } from '../../kit/x509/algorithms.js';
import { children, DerError, expectTag, raw, readBitString, readWhole, TAG } from '../../kit/x509/der.js';
import { importSpki } from '../../kit/x509/public-key.js';
import { firstPemBlock } from '../../kit/x509/pem.js';
import { SentryError } from '../errors.js';

export interface CertificateRequest {
  readonly publicKey: KeyObject;
  /** SubjectPublicKeyInfo DER, canonical (as Go re-marshals it into the certificate). */
  readonly spki: Buffer;
}

/** PEM types accepted: daprd before 1.12 labelled its requests CERTIFICATE. */
const CSR_PEM_TYPES: ReadonlySet<string> = new Set(['CERTIFICATE REQUEST', 'CERTIFICATE']);

/** Parses a CSR's DER and verifies its signature. Rejects with SentryError (csrParse, csrSignature). */
export async function parseCsrDer(der: Buffer): Promise<CertificateRequest> {
  let parsed;
  try {
    const [info, algorithm, signature, extra] = children(readWhole(der, TAG.sequence));
    if (extra !== undefined) throw new DerError('malformed certificate request');
    const infoSeq = expectTag(info, TAG.sequence, 'certificate request info');
    const [version, subject, spkiEl, attributes, more] = children(infoSeq);
    expectTag(version, TAG.integer, 'version');
    expectTag(subject, TAG.sequence, 'subject');
    // [0] attributes: Go's generator always writes it; tolerate its absence as lenient parsers do.
    if ((attributes !== undefined && attributes.tag !== 0xa0) || more !== undefined) {
      throw new DerError('malformed attributes');
    }
    parsed = {
      info: raw(infoSeq),
      algorithm: expectTag(algorithm, TAG.sequence, 'signature algorithm'),
      signature: readBitString(expectTag(signature, TAG.bitString, 'signature')).bytes,
      key: importSpki(expectTag(spkiEl, TAG.sequence, 'public key info')),
    };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new SentryError('csrParse', `failed to parse certificate signing request: ${reason}`, {
      cause: err,
    });
  }
  // A CSR's signature only proves possession of the key; SHA-1 is still accepted there, as Go does.
  const valid = await verifySignatureAsync(
    { data: parsed.info, algorithm: parsed.algorithm, signature: parsed.signature },
    parsed.key,
    { allowSha1: true },
  );
  if (!valid) {
    throw new SentryError('csrSignature', 'invalid signature');
  }
  return parsed.key;
}

/**
 * The largest CSR field read (docs/sentry.md, Limits). daprd's P-256 CSR is under 1 KiB and an
 * RSA-4096 one under 2 KiB; 64 KiB leaves room for any real request and keeps parsing brief.
 */
export const MAX_CSR_BYTES = 64 * 1024;

/** The CSR field of a SignCertificateRequest: size, PEM, then DER, then signature. */
export function readCsr(pem: Buffer): Promise<CertificateRequest> {
  if (pem.length > MAX_CSR_BYTES) {
    return Promise.reject(
      new SentryError(
        'invalidCsr',
        `invalid certificate signing request: ${pem.length} bytes, more than the ${MAX_CSR_BYTES}-byte limit`,
      ),
    );
  }
  const block = firstPemBlock(pem);
  if (block === undefined || !CSR_PEM_TYPES.has(block.type)) {
    return Promise.reject(new SentryError('invalidCsr', 'invalid certificate signing request'));
  }
  return parseCsrDer(block.der);
}
