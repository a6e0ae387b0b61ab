// PEM (RFC 7468) as Go's encoding/pem reads it: text before, between and after blocks is
// ignored, a block may carry "Key: value" headers, and a block whose body is not valid base64
// is skipped. Output uses 64-character lines and no headers, like Go's pem.Encode.
//
// The scanner is linear in the input (docs/sentry.md, Limits): every END marker is indexed once,
// so a BEGIN without its END costs a lookup rather than a rescan of the rest, and the body is
// checked character by character (a regex over it backtracked quadratically on long blank runs).

export interface PemBlock {
  readonly type: string;
  readonly der: Buffer;
}

const BEGIN = '-----BEGIN ';
const END = '-----END ';
const DASHES = '-----';

// What each Latin-1 character is to a PEM body: 1 base64, 2 blank (JavaScript's \s among them),
// 0 anything else. A table lookup per character: the body check runs on every SignCertificate.
const BASE64 = 1;
const BLANK = 2;
const LATIN1_CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') {
  LATIN1_CLASS[c.charCodeAt(0)] = BASE64;
}
for (const code of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]) LATIN1_CLASS[code] = BLANK;
/** Blanks beyond Latin-1 (a string argument may hold them): what \s matches there. */
const WIDE_SPACE = /^\s$/;

function charClass(body: string, i: number): number {
  const code = body.charCodeAt(i);
  if (code < 256) return LATIN1_CLASS[code]!;
  return WIDE_SPACE.test(body[i]!) ? BLANK : 0;
}

/** Base64 characters and blanks, then at most two '=', then only blanks (the former regex). */
function isBase64Body(body: string): boolean {
  let i = 0;
  while (i < body.length && charClass(body, i) !== 0) i++;
  for (let pads = 0; pads < 2 && body[i] === '='; pads++) i++;
  while (i < body.length && charClass(body, i) === BLANK) i++;
  return i === body.length;
}

function blockBody(text: string): Buffer | undefined {
  // Drop RFC 1421 headers: everything up to the first blank line, when the block starts with one.
  const lines = text.split(/\r?\n/);
  if (lines[0]?.includes(':') === true) {
    const blank = lines.findIndex((l) => l.trim() === '');
    if (blank < 0) return undefined;
    lines.splice(0, blank + 1);
  }
  const body = lines.join('');
  if (!isBase64Body(body)) return undefined;
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  return der.length > 0 ? der : undefined;
}

/** Where each type's END markers start, in order: one pass over the text. */
function endMarkers(text: string): Map<string, number[]> {
  const ends = new Map<string, number[]>();
  for (let at = text.indexOf(END); at >= 0; at = text.indexOf(END, at + 1)) {
    const typeStart = at + END.length;
    const close = text.indexOf(DASHES, typeStart);
    if (close < 0) break;
    const type = text.slice(typeStart, close);
    let list = ends.get(type);
    if (list === undefined) ends.set(type, (list = []));
    list.push(at);
  }
  return ends;
}

/** A BEGIN line's type, and where its body starts; undefined when the line is malformed. */
function beginLine(text: string, at: number): { type: string; bodyStart: number } | undefined {
  const typeStart = at + BEGIN.length;
  const close = text.indexOf(DASHES, typeStart);
  if (close < 0) return undefined;
  const type = text.slice(typeStart, close);
  if (/[\r\n-]/.test(type)) return undefined;
  let next = close + DASHES.length;
  if (text[next] === '\r') next++;
  if (text[next] !== '\n') return undefined;
  return { type, bodyStart: next + 1 };
}

/** The well-formed blocks, in order, decoded only as far as the caller reads. */
function* pemBlocks(data: Buffer | string): Generator<PemBlock> {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  let ends: Map<string, number[]> | undefined;
  /** Per type, how many of its END markers lie behind the scan already. */
  const used = new Map<string, number>();
  let at = text.indexOf(BEGIN);
  while (at >= 0) {
    const begin = beginLine(text, at);
    if (begin === undefined) {
      at = text.indexOf(BEGIN, at + 1);
      continue;
    }
    ends ??= endMarkers(text);
    const list = ends.get(begin.type) ?? [];
    let k = used.get(begin.type) ?? 0;
    while (k < list.length && list[k]! < begin.bodyStart) k++;
    used.set(begin.type, k);
    const end = list[k];
    if (end === undefined) {
      // No END for this type after here: as the former regex did, try the next BEGIN.
      at = text.indexOf(BEGIN, at + 1);
      continue;
    }
    const der = blockBody(text.slice(begin.bodyStart, end));
    if (der !== undefined) yield { type: begin.type, der };
    at = text.indexOf(BEGIN, end + END.length + begin.type.length + DASHES.length);
  }
}

/** Every well-formed block, in order. */
export function decodePem(data: Buffer | string): PemBlock[] {
  return [...pemBlocks(data)];
}

/** The first well-formed block, as Go's pem.Decode returns it, or undefined; later ones are not read. */
export function firstPemBlock(data: Buffer | string): PemBlock | undefined {
  for (const block of pemBlocks(data)) return block;
  return undefined;
}

export function encodePem(type: string, der: Buffer): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/** The DER of every CERTIFICATE block; other block types are skipped, as dapr/kit does. */
export function certificatesFromPem(data: Buffer | string): Buffer[] {
  return decodePem(data)
    .filter((b) => b.type === 'CERTIFICATE')
    .map((b) => b.der);
}

/** A chain as sent to clients: one CERTIFICATE block per certificate, no comments. */
export function encodeCertificates(ders: readonly Buffer[]): Buffer {
  return Buffer.from(ders.map((d) => encodePem('CERTIFICATE', d)).join(''), 'ascii');
}
