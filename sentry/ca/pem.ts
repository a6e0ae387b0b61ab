// PEM (RFC 7468) as Go's encoding/pem reads it: text before, between and after blocks is
// ignored, a block may carry "Key: value" headers, and a block whose body is not valid base64
// is skipped. Output uses 64-character lines and no headers, like Go's pem.Encode.

export interface PemBlock {
  readonly type: string;
  readonly der: Buffer;
}

const BLOCK = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function blockBody(text: string): Buffer | undefined {
  // Drop RFC 1421 headers: everything up to the first blank line, when the block starts with one.
  const lines = text.split(/\r?\n/);
  if (lines[0]?.includes(':') === true) {
    const blank = lines.findIndex((l) => l.trim() === '');
    if (blank < 0) return undefined;
    lines.splice(0, blank + 1);
  }
  const body = lines.join('');
  if (!BASE64_BODY.test(body)) return undefined;
  const der = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  return der.length > 0 ? der : undefined;
}

/** Every well-formed block, in order. */
export function decodePem(data: Buffer | string): PemBlock[] {
  const text = typeof data === 'string' ? data : data.toString('latin1');
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const der = blockBody(m[2] ?? '');
    if (der !== undefined) blocks.push({ type: m[1] ?? '', der });
  }
  return blocks;
}

/** The first well-formed block, as Go's pem.Decode returns it, or undefined. */
export function firstPemBlock(data: Buffer | string): PemBlock | undefined {
  return decodePem(data)[0];
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
