// The subjectAltName extension of an X.509 certificate, read from its DER (RFC 5280 §4.2.1.6).
// Node's `subjectaltname` text joins entries with ", " and cannot tell a separator from a comma
// inside a name, so a DNS name holding ", URI:spiffe://..." would read as a URI entry. Every
// caller identity and every server check of a SPIFFE ID reads this instead (docs/sentry.md).
import { parseDaprId, type DaprId } from './spiffe.js';

export class CertificateDerError extends Error {
  override readonly name = 'CertificateDerError';
}

interface Element {
  readonly tag: number;
  readonly start: number; // of the contents
  readonly end: number;
}

/** One TLV at `at`, within `limit`; definite lengths only, as DER requires. */
function element(der: Buffer, at: number, limit: number): Element {
  if (at + 2 > limit) throw new CertificateDerError('truncated element');
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw new CertificateDerError('multi-byte tags are not used in certificates');
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new CertificateDerError('unsupported length');
    if (start + count > limit) throw new CertificateDerError('truncated length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[start + i]!;
    start += count;
  }
  if (start + length > limit) throw new CertificateDerError('element runs past its parent');
  return { tag, start, end: start + length };
}

function* childrenOf(der: Buffer, parent: Element): Generator<Element> {
  for (let at = parent.start; at < parent.end;) {
    const child = element(der, at, parent.end);
    yield child;
    at = child.end;
  }
}

const SEQUENCE = 0x30;
const OID = 0x06;
const BOOLEAN = 0x01;
const OCTET_STRING = 0x04;
const EXTENSIONS = 0xa3; // [3] EXPLICIT in TBSCertificate
const SUBJECT_ALT_NAME_OID = Buffer.from([0x55, 0x1d, 0x11]); // 2.5.29.17
const DNS_NAME = 0x82; // [2] IMPLICIT IA5String
const URI = 0x86; // [6] IMPLICIT IA5String

export interface SubjectAltNames {
  readonly dns: readonly string[];
  readonly uris: readonly string[];
  /** How many entries of other kinds (IP, email, otherName, ...): none is read. */
  readonly other: number;
}

function want(el: Element | undefined, tag: number, what: string): Element {
  if (el?.tag !== tag) throw new CertificateDerError(`malformed ${what}`);
  return el;
}

function firstChild(der: Buffer, parent: Element): Element | undefined {
  for (const child of childrenOf(der, parent)) return child;
  return undefined;
}

/** The SAN extension's value (the OCTET STRING's contents), or undefined for another extension. */
function subjectAltNameValue(der: Buffer, extension: Element): Element | undefined {
  const parts = [...childrenOf(der, want(extension, SEQUENCE, 'extension'))];
  const oid = want(parts[0], OID, 'extension id');
  if (!der.subarray(oid.start, oid.end).equals(SUBJECT_ALT_NAME_OID)) return undefined;
  return want(parts[1]?.tag === BOOLEAN ? parts[2] : parts[1], OCTET_STRING, 'extension value');
}

/** The DNS and URI entries of a certificate's SAN extension (both empty without one). */
export function subjectAltNames(certificateDer: Buffer): SubjectAltNames {
  const der = certificateDer;
  const certificate = want(element(der, 0, der.length), SEQUENCE, 'certificate');
  const tbs = want(firstChild(der, certificate), SEQUENCE, 'tbsCertificate');
  const extensions = [...childrenOf(der, tbs)].find((field) => field.tag === EXTENSIONS);
  const dns: string[] = [];
  const uris: string[] = [];
  let other = 0;
  if (extensions === undefined) return { dns, uris, other };
  const list = want(firstChild(der, extensions), SEQUENCE, 'extensions');
  for (const extension of childrenOf(der, list)) {
    const value = subjectAltNameValue(der, extension);
    if (value === undefined) continue;
    const names = want(element(der, value.start, value.end), SEQUENCE, 'subjectAltName');
    if (names.end !== value.end) throw new CertificateDerError('trailing data after subjectAltName');
    for (const name of childrenOf(der, names)) {
      const text = der.toString('latin1', name.start, name.end);
      if (name.tag === DNS_NAME) dns.push(text);
      else if (name.tag === URI) uris.push(text);
      else other++;
    }
  }
  return { dns, uris, other };
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
