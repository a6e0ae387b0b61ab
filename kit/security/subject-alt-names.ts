// The subjectAltName extension of an X.509 certificate, read from its DER (RFC 5280 §4.2.1.6).
// Node's `subjectaltname` text joins entries with ", " and cannot tell a separator from a comma
// inside a name, so a DNS name holding ", URI:spiffe://..." would read as a URI entry. Every
// caller identity and every server check of a SPIFFE ID reads this instead (docs/sentry.md).
import {
  children,
  content,
  DerError,
  expectTag,
  readOid,
  readTlv,
  readWhole,
  TAG,
  type Tlv,
} from '../x509/der.js';
import { parseDaprId, type DaprId } from './spiffe.js';

/** A certificate whose DER does not hold a well-formed SAN extension where one is looked for. */
export class CertificateDerError extends Error {
  override readonly name = 'CertificateDerError';
}

const SUBJECT_ALT_NAME_OID = '2.5.29.17';
const EXTENSIONS = 0xa3; // [3] EXPLICIT in TBSCertificate
const DNS_NAME = 0x82; // [2] IMPLICIT IA5String
const URI = 0x86; // [6] IMPLICIT IA5String

export interface SubjectAltNames {
  readonly dns: readonly string[];
  readonly uris: readonly string[];
  /** How many entries of other kinds (IP, email, otherName, ...): none is read. */
  readonly other: number;
}

/** The SAN extension's value (the OCTET STRING's contents), or undefined for another extension. */
function subjectAltNameValue(extension: Tlv): Buffer | undefined {
  const parts = children(expectTag(extension, TAG.sequence, 'extension'));
  if (readOid(expectTag(parts[0], TAG.oid, 'extension id')) !== SUBJECT_ALT_NAME_OID) return undefined;
  return content(
    expectTag(parts[1]?.tag === TAG.boolean ? parts[2] : parts[1], TAG.octetString, 'extension value'),
  );
}

function read(certificateDer: Buffer): SubjectAltNames {
  const certificate = expectTag(readTlv(certificateDer, 0), TAG.sequence, 'certificate');
  const tbs = expectTag(children(certificate)[0], TAG.sequence, 'tbsCertificate');
  const extensions = children(tbs).find((field) => field.tag === EXTENSIONS);
  const dns: string[] = [];
  const uris: string[] = [];
  let other = 0;
  if (extensions === undefined) return { dns, uris, other };
  const list = expectTag(children(extensions)[0], TAG.sequence, 'extensions');
  for (const extension of children(list)) {
    const value = subjectAltNameValue(extension);
    if (value === undefined) continue;
    for (const name of children(readWhole(value, TAG.sequence))) {
      const text = content(name).toString('latin1');
      if (name.tag === DNS_NAME) dns.push(text);
      else if (name.tag === URI) uris.push(text);
      else other++;
    }
  }
  return { dns, uris, other };
}

/** The DNS and URI entries of a certificate's SAN extension (both empty without one). */
export function subjectAltNames(certificateDer: Buffer): SubjectAltNames {
  try {
    return read(certificateDer);
  } catch (err) {
    if (err instanceof DerError) throw new CertificateDerError(err.message, { cause: err });
    throw err;
  }
}

/** The URI SANs of a certificate; a malformed certificate has none. */
export function uriSansOf(certificateDer: Buffer | undefined): readonly string[] {
  if (certificateDer === undefined) return [];
  try {
    return subjectAltNames(certificateDer).uris;
  } catch {
    return [];
  }
}

/**
 * The Dapr identity of a certificate, as go-spiffe's x509svid.IDFromCert reads it: exactly one
 * URI SAN, and that one exactly spiffe://<td>/ns/<namespace>/<app-id>; undefined otherwise.
 */
export function daprIdOfCertificate(certificateDer: Buffer | undefined): DaprId | undefined {
  const uris = uriSansOf(certificateDer);
  if (uris.length !== 1) return undefined;
  try {
    return parseDaprId(uris[0]!);
  } catch {
    return undefined;
  }
}

/** Undefined when the certificate's only URI SAN is `expected`; otherwise the reason it is not. */
export function checkOnlyUriSan(certificateDer: Buffer | undefined, expected: string): Error | undefined {
  const uris = uriSansOf(certificateDer);
  if (uris.length === 1 && uris[0] === expected) return undefined;
  return new Error(`the certificate names ${JSON.stringify(uris)}, expected exactly ${expected}`);
}
