// X.509 v3 extensions sentry writes, encoded as Go's x509.CreateCertificate encodes them (same
// criticality, same minimal bit strings), and the decoders bundle validation and tests need.
import {
  bitString,
  booleanTrue,
  children,
  content,
  DerError,
  expectTag,
  implicitPrimitive,
  octetString,
  oid,
  readBitString,
  readOid,
  readTlv,
  readWhole,
  sequence,
  TAG,
} from './der.js';
import { OID } from './oids.js';

export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's content: the DER of the extension itself. */
  readonly value: Buffer;
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
export function encodeExtension(extnId: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(oid(extnId), booleanTrue(), octetString(value))
    : sequence(oid(extnId), octetString(value));
}

/** KeyUsage bit positions (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = {
  digitalSignature: 0,
  contentCommitment: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;
export type KeyUsageName = keyof typeof KEY_USAGE;

/** KeyUsage, always critical (as Go writes it), as a minimal named bit string. */
export function keyUsageExtension(usages: readonly KeyUsageName[]): Buffer {
  const bits = usages.map((u) => KEY_USAGE[u]);
  const bytes = Buffer.alloc(Math.floor(Math.max(...bits) / 8) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  // DER drops trailing zero bits of a named bit list: count them as unused.
  const last = bytes[bytes.length - 1]!;
  let unused = 0;
  while (unused < 7 && (last & (1 << unused)) === 0) unused++;
  return encodeExtension(OID.keyUsage, true, bitString(bytes, unused));
}

export function extKeyUsageExtension(oids: readonly string[]): Buffer {
  return encodeExtension(OID.extKeyUsage, false, sequence(...oids.map((o) => oid(o))));
}

/** CA:TRUE without a path length, critical, as Go writes it for IsCA templates. */
export function caBasicConstraintsExtension(): Buffer {
  return encodeExtension(OID.basicConstraints, true, sequence(booleanTrue()));
}

export function subjectKeyIdExtension(keyId: Buffer): Buffer {
  return encodeExtension(OID.subjectKeyIdentifier, false, octetString(keyId));
}

export function authorityKeyIdExtension(keyId: Buffer): Buffer {
  return encodeExtension(OID.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyId)));
}

/**
 * SubjectAltName with DNS names first, then URIs (Go's order). RFC 5280 §4.2.1.6 requires it
 * critical when the subject is empty, which is the case for workload certificates.
 * Read back only by kit/security/subject-alt-names.ts.
 */
export function subjectAltNameExtension(
  dns: readonly string[],
  uris: readonly string[],
  critical: boolean,
): Buffer {
  const names = [
    ...dns.map((d) => implicitPrimitive(2, Buffer.from(d, 'ascii'))),
    ...uris.map((u) => implicitPrimitive(6, Buffer.from(u, 'ascii'))),
  ];
  return encodeExtension(OID.subjectAltName, critical, sequence(...names));
}

// ---- decoding ----

export interface BasicConstraints {
  readonly ca: boolean;
  readonly pathLen?: number;
}

export function decodeBasicConstraints(value: Buffer): BasicConstraints {
  const fields = children(readWhole(value, TAG.sequence));
  let ca = false;
  let pathLen: number | undefined;
  for (const f of fields) {
    if (f.tag === TAG.boolean) ca = content(f)[0] === 0xff;
    else if (f.tag === TAG.integer) pathLen = content(f).readUIntBE(0, Math.min(6, content(f).length));
    else throw new DerError('malformed basic constraints');
  }
  return pathLen === undefined ? { ca } : { ca, pathLen };
}

export function decodeKeyUsage(value: Buffer): Set<KeyUsageName> {
  const { bytes } = readBitString(readWhole(value, TAG.bitString));
  const out = new Set<KeyUsageName>();
  for (const [name, bit] of Object.entries(KEY_USAGE) as [KeyUsageName, number][]) {
    if (((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) out.add(name);
  }
  return out;
}

export function decodeExtKeyUsage(value: Buffer): string[] {
  return children(readWhole(value, TAG.sequence)).map(readOid);
}

export function decodeSubjectKeyId(value: Buffer): Buffer {
  return content(readWhole(value, TAG.octetString));
}

/** The keyIdentifier [0] of an AuthorityKeyIdentifier, if present. */
export function decodeAuthorityKeyId(value: Buffer): Buffer | undefined {
  const keyId = children(readWhole(value, TAG.sequence)).find((f) => f.tag === 0x80);
  return keyId && content(keyId);
}

/** Extensions ::= SEQUENCE OF Extension; duplicates are an error, as in Go. */
export function decodeExtensions(der: Buffer, start: number, end: number): Extension[] {
  const seq = expectTag(readTlv(der, start, end), TAG.sequence, 'extensions');
  const out: Extension[] = [];
  for (const ext of children(seq)) {
    const [id, second, third] = children(expectTag(ext, TAG.sequence, 'extension'));
    const critical = third !== undefined && second !== undefined && content(second)[0] === 0xff;
    const valueEl = expectTag(third ?? second, TAG.octetString, 'extension value');
    const extnId = readOid(expectTag(id, TAG.oid, 'extension id'));
    if (out.some((e) => e.oid === extnId)) throw new DerError(`duplicate extension ${extnId}`);
    out.push({ oid: extnId, critical, value: content(valueEl) });
  }
  return out;
}
