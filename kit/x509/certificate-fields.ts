// Reads the parts of an X.509 certificate that Node's X509Certificate does not expose: the raw
// subject and issuer DER (a leaf's issuer must be byte-identical to its parent's subject, because
// Go chains on raw bytes), the TBS bytes and signature, and the extensions with their criticality.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { verifySignature } from './algorithms.js';
import {
  children,
  content,
  DerError,
  expectTag,
  raw,
  readBitString,
  readTime,
  readWhole,
  TAG,
  type Tlv,
} from './der.js';
import {
  decodeAuthorityKeyId,
  decodeBasicConstraints,
  decodeExtKeyUsage,
  decodeKeyUsage,
  decodeSubjectKeyId,
  decodeExtensions,
  type BasicConstraints,
  type Extension,
  type KeyUsageName,
} from './extensions.js';
import { OID } from './oids.js';

export interface Certificate {
  readonly der: Buffer;
  /** TBSCertificate, exactly as signed. */
  readonly tbs: Buffer;
  readonly version: number;
  /** INTEGER content bytes (two's complement, as encoded). */
  readonly serial: Buffer;
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SubjectPublicKeyInfo DER. */
  readonly spki: Buffer;
  readonly publicKey: KeyObject;
  readonly extensions: readonly Extension[];
  /** The outer signatureAlgorithm element and the signature bits. */
  readonly signatureAlgorithm: Tlv;
  readonly signature: Buffer;
}

function optionalContext(fields: Tlv[], tag: number): Tlv | undefined {
  return fields[0]?.tag === tag ? fields.shift() : undefined;
}

export function parseCertificate(der: Buffer): Certificate {
  const [tbsEl, sigAlg, sigValue, extra] = children(readWhole(der, TAG.sequence));
  if (extra !== undefined) throw new DerError('malformed certificate');
  const tbsSeq = expectTag(tbsEl, TAG.sequence, 'tbs certificate');
  const fields = children(tbsSeq);
  const versionEl = optionalContext(fields, 0xa0);
  const version = versionEl ? (content(children(versionEl)[0] ?? versionEl)[0] ?? 0) + 1 : 1;
  const [serial, innerSig, issuer, validity, subject, spki] = fields.splice(0, 6);
  const [notBefore, notAfter] = children(expectTag(validity, TAG.sequence, 'validity'));
  optionalContext(fields, 0x81);
  optionalContext(fields, 0x82);
  const extsEl = optionalContext(fields, 0xa3);
  if (fields.length > 0) throw new DerError('malformed tbs certificate');
  const spkiDer = raw(expectTag(spki, TAG.sequence, 'public key info'));
  const signatureAlgorithm = expectTag(sigAlg, TAG.sequence, 'signature algorithm');
  if (!raw(expectTag(innerSig, TAG.sequence, 'signature algorithm')).equals(raw(signatureAlgorithm))) {
    throw new DerError('signature algorithm mismatch');
  }
  return {
    der,
    tbs: raw(tbsSeq),
    version,
    serial: content(expectTag(serial, TAG.integer, 'serial number')),
    issuer: raw(expectTag(issuer, TAG.sequence, 'issuer')),
    subject: raw(expectTag(subject, TAG.sequence, 'subject')),
    notBefore: readTime(expectTag(notBefore, notBefore?.tag ?? 0, 'notBefore')),
    notAfter: readTime(expectTag(notAfter, notAfter?.tag ?? 0, 'notAfter')),
    spki: spkiDer,
    publicKey: createPublicKey({ key: spkiDer, format: 'der', type: 'spki' }),
    extensions: extsEl ? decodeExtensions(der, extsEl.contentStart, extsEl.end) : [],
    signatureAlgorithm,
    signature: readBitString(expectTag(sigValue, TAG.bitString, 'signature')).bytes,
  };
}

export function extension(cert: Certificate, extnId: string): Extension | undefined {
  return cert.extensions.find((e) => e.oid === extnId);
}

export function basicConstraints(cert: Certificate): BasicConstraints | undefined {
  const e = extension(cert, OID.basicConstraints);
  return e && decodeBasicConstraints(e.value);
}

export function keyUsage(cert: Certificate): Set<KeyUsageName> | undefined {
  const e = extension(cert, OID.keyUsage);
  return e && decodeKeyUsage(e.value);
}

export function extKeyUsage(cert: Certificate): string[] | undefined {
  const e = extension(cert, OID.extKeyUsage);
  return e && decodeExtKeyUsage(e.value);
}

export function subjectKeyId(cert: Certificate): Buffer | undefined {
  const e = extension(cert, OID.subjectKeyIdentifier);
  return e && decodeSubjectKeyId(e.value);
}

export function authorityKeyId(cert: Certificate): Buffer | undefined {
  const e = extension(cert, OID.authorityKeyIdentifier);
  return e && decodeAuthorityKeyId(e.value);
}

/** True when `parent`'s key verifies `child`'s signature and the names chain byte-for-byte. */
export function isSignedBy(child: Certificate, parent: Certificate): boolean {
  return (
    child.issuer.equals(parent.subject) &&
    verifySignature(
      { data: child.tbs, algorithm: child.signatureAlgorithm, signature: child.signature },
      parent.publicKey,
    )
  );
}

/** A serial Go accepts: positive (Go 1.23+ rejects negative ones) and at most 20 bytes. */
export function hasValidSerial(cert: Certificate): boolean {
  const s = cert.serial;
  return s.length > 0 && s.length <= 21 && (s[0]! & 0x80) === 0 && s.some((b) => b !== 0);
}

export function hexSerial(cert: Certificate): string {
  return cert.serial.toString('hex');
}
