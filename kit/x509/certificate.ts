// Assembles and signs an X.509 v3 certificate from prepared parts. Everything profile-specific
// (which extensions, which subject) comes from profile.ts; this file only knows the layout.
import { createHash, randomBytes } from 'node:crypto';
import type { SigningKey } from './algorithms.js';
import {
  bitString,
  children,
  directoryString,
  explicit,
  oid,
  readBitString,
  readWhole,
  sequence,
  set,
  smallInteger,
  TAG,
  unsignedInteger,
  x509Time,
} from './der.js';
import { OID } from './oids.js';

export interface CertificateParts {
  /** Serial magnitude (big-endian, non-negative). */
  readonly serial: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Name DER of the subject. */
  readonly subject: Buffer;
  /** SubjectPublicKeyInfo DER of the certified key. */
  readonly spki: Buffer;
  /** Encoded Extension elements, in the order they are written. */
  readonly extensions: readonly Buffer[];
}

export interface Issuer {
  /** The issuer certificate's subject, raw: the new certificate's issuer must match it byte-for-byte. */
  readonly name: Buffer;
  readonly key: SigningKey;
}

const VERSION_3 = explicit(0, smallInteger(2));

function tbsCertificate(parts: CertificateParts, issuer: Issuer): Buffer {
  return sequence(
    VERSION_3,
    unsignedInteger(parts.serial),
    issuer.key.algorithm,
    issuer.name,
    sequence(x509Time(parts.notBefore), x509Time(parts.notAfter)),
    parts.subject,
    parts.spki,
    explicit(3, sequence(...parts.extensions)),
  );
}

/** Builds the TBSCertificate, signs it, and returns the certificate DER. */
export function signCertificate(parts: CertificateParts, issuer: Issuer): Buffer {
  const tbs = tbsCertificate(parts, issuer);
  return sequence(tbs, issuer.key.algorithm, bitString(issuer.key.sign(tbs)));
}

/** signCertificate with the signature computed off the event loop (workload certificates). */
export async function signCertificateAsync(parts: CertificateParts, issuer: Issuer): Promise<Buffer> {
  const tbs = tbsCertificate(parts, issuer);
  return sequence(tbs, issuer.key.algorithm, bitString(await issuer.key.signAsync(tbs)));
}

/** A random positive 128-bit serial, as upstream draws it (never zero). */
export function randomSerial(): Buffer {
  const serial = randomBytes(16);
  if (serial.every((b) => b === 0)) serial[15] = 1;
  return serial;
}

/** The empty Name (a workload certificate's subject). */
export const EMPTY_NAME: Buffer = sequence();

/** A Name with a single Organization attribute, as Go encodes `pkix.Name{Organization: [o]}`. */
export function organizationName(organization: string): Buffer {
  return sequence(set(sequence(oid(OID.organization), directoryString(organization))));
}

/**
 * Subject key identifier: the first 160 bits of SHA-256 over the subjectPublicKey bits
 * (RFC 7093 method 1, which recent Go versions also use for generated CA certificates).
 */
export function keyIdentifier(spki: Buffer): Buffer {
  const [, publicKeyBits] = children(readWhole(spki, TAG.sequence));
  if (publicKeyBits === undefined) throw new Error('malformed public key info');
  return createHash('sha256').update(readBitString(publicKeyBits).bytes).digest().subarray(0, 20);
}
