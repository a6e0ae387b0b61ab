// A small DER encoder and reader: just what X.509 certificates and PKCS#10 requests need.
// Issuing is a hot path, so certificates are assembled from Buffers here and signed with Node's
// crypto; ASN.1 object models cost a hundredfold more per certificate (see the sentry report).
// The reader is strict where Go's parser is strict (definite, minimal lengths; no trailing data),
// so a structure we accept is one daprd's Go code accepts too.

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Malformed DER. The message names what was wrong, as Go's "x509: malformed ..." texts do. */
export class DerError extends Error {
  override readonly name = 'DerError';
}

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV: tag, length, and the concatenated content. */
export function tlv(tag: number, ...content: readonly Buffer[]): Buffer {
  const body = content.length === 1 ? content[0]! : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), lengthBytes(body.length), body]);
}

export const sequence = (...content: readonly Buffer[]): Buffer => tlv(TAG.sequence, ...content);
export const set = (...content: readonly Buffer[]): Buffer => tlv(TAG.set, ...content);
export const octetString = (content: Buffer): Buffer => tlv(TAG.octetString, content);
export const derNull = (): Buffer => Buffer.from([TAG.null, 0]);
export const booleanTrue = (): Buffer => Buffer.from([TAG.boolean, 1, 0xff]);
/** [n] EXPLICIT (constructed context tag around a whole TLV). */
export const explicit = (n: number, ...content: readonly Buffer[]): Buffer => tlv(0xa0 | n, ...content);
/** [n] IMPLICIT on a primitive value (e.g. GeneralName's dNSName [2], uniformResourceIdentifier [6]). */
export const implicitPrimitive = (n: number, content: Buffer): Buffer => tlv(0x80 | n, content);

/** BIT STRING with `unusedBits` padding bits in the last byte. */
export function bitString(content: Buffer, unusedBits = 0): Buffer {
  return tlv(TAG.bitString, Buffer.from([unusedBits]), content);
}

/** A non-negative INTEGER from big-endian magnitude bytes, minimally encoded. */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  if (trimmed.length === 0) return Buffer.from([TAG.integer, 1, 0]);
  // A set top bit would read as negative: prefix a zero byte.
  return (trimmed[0]! & 0x80) !== 0 ? tlv(TAG.integer, Buffer.from([0]), trimmed) : tlv(TAG.integer, trimmed);
}

export function smallInteger(value: number): Buffer {
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  return unsignedInteger(Buffer.from(bytes));
}

const oidCache = new Map<string, Buffer>();

/** OBJECT IDENTIFIER from dotted text; cached, since the same few OIDs are encoded per certificate. */
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached !== undefined) return cached;
  const arcs = dotted.split('.').map((a) => Number.parseInt(a, 10));
  const [first = 0, second = 0, ...rest] = arcs;
  const body: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    body.push(...chunk);
  }
  const encoded = tlv(TAG.oid, Buffer.from(body));
  oidCache.set(dotted, encoded);
  return encoded;
}

/** Go's rule for strings in names: PrintableString when every character allows it, else UTF8String. */
export function directoryString(text: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text);
  return tlv(printable ? TAG.printableString : TAG.utf8String, Buffer.from(text, 'utf8'));
}

export const ia5String = (text: string): Buffer => tlv(TAG.ia5String, Buffer.from(text, 'ascii'));

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** X.509 Time: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5); whole seconds. */
export function x509Time(date: Date): Buffer {
  const y = date.getUTCFullYear();
  const rest = `${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(
    date.getUTCMinutes(),
  )}${pad(date.getUTCSeconds())}Z`;
  if (y >= 1950 && y < 2050) return tlv(TAG.utcTime, Buffer.from(`${pad(y % 100)}${rest}`, 'ascii'));
  return tlv(TAG.generalizedTime, Buffer.from(`${pad(y, 4)}${rest}`, 'ascii'));
}

// ---- reading ----

/** A decoded TLV inside `buf`: [start, contentStart) is the header, [contentStart, end) the content. */
export interface Tlv {
  readonly buf: Buffer;
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

export function readTlv(buf: Buffer, pos: number, limit = buf.length): Tlv {
  if (pos + 2 > limit) throw new DerError('truncated element');
  const tag = buf[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('unsupported high tag number');
  let length = buf[pos + 1]!;
  let contentStart = pos + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4 || contentStart + count > limit) throw new DerError('length too large');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + buf[contentStart + i]!;
    if (buf[contentStart] === 0 || length < 0x80) throw new DerError('non-minimal length');
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError('truncated element');
  return { buf, tag, start: pos, contentStart, end };
}

/** Reads one TLV that must fill `buf` exactly (Go rejects trailing data). */
export function readWhole(buf: Buffer, expectedTag: number): Tlv {
  const el = readTlv(buf, 0);
  if (el.tag !== expectedTag) throw new DerError(`unexpected tag 0x${el.tag.toString(16)}`);
  if (el.end !== buf.length) throw new DerError('trailing data');
  return el;
}

/** The elements inside a constructed TLV. */
export function children(parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.contentStart; pos < parent.end;) {
    const child = readTlv(parent.buf, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export const content = (el: Tlv): Buffer => el.buf.subarray(el.contentStart, el.end);
export const raw = (el: Tlv): Buffer => el.buf.subarray(el.start, el.end);

export function expectTag(el: Tlv | undefined, tag: number, what: string): Tlv {
  if (el === undefined) throw new DerError(`missing ${what}`);
  if (el.tag !== tag) throw new DerError(`malformed ${what}`);
  return el;
}

export function readOid(el: Tlv): string {
  const bytes = content(expectTag(el, TAG.oid, 'object identifier'));
  if (bytes.length === 0) throw new DerError('malformed object identifier');
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) throw new DerError('malformed object identifier');
  const first = arcs.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

/** BIT STRING content without the unused-bits byte; `unusedBits` is returned separately. */
export function readBitString(el: Tlv): { bytes: Buffer; unusedBits: number } {
  const c = content(expectTag(el, TAG.bitString, 'bit string'));
  if (c.length === 0 || c[0]! > 7 || (c.length === 1 && c[0] !== 0))
    throw new DerError('malformed bit string');
  return { bytes: c.subarray(1), unusedBits: c[0]! };
}

export function readTime(el: Tlv): Date {
  const text = content(el).toString('ascii');
  const m =
    el.tag === TAG.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : el.tag === TAG.generalizedTime
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (m === null) throw new DerError('malformed time');
  const [, y = '', mo = '', d = '', h = '', mi = '', s = ''] = m;
  let year = Number(y);
  if (el.tag === TAG.utcTime) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}
