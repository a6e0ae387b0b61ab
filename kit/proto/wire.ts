// Protocol Buffers wire format (varint, 64-bit, length-delimited, 32-bit), enough for the
// hand-written codecs of sentry's two messages. A codec is ~100 lines against the 7 MB of RSS
// that @grpc/proto-loader + protobufjs add per process (measured; see the sentry report).

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export class ProtoError extends Error {
  override readonly name = 'ProtoError';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class Writer {
  readonly #chunks: Buffer[] = [];

  #varint(value: number): void {
    const bytes: number[] = [];
    let v = value;
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    this.#chunks.push(Buffer.from(bytes));
  }

  #tag(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType);
  }

  /** uint32 / enum / int64 below 2^53 (negative enums are not used by these schemas). */
  uint(field: number, value: number): this {
    this.#tag(field, WIRE.varint);
    this.#varint(value);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WIRE.bytes);
    this.#varint(value.length);
    this.#chunks.push(Buffer.from(value.buffer, value.byteOffset, value.length));
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  /** A nested message, already encoded. */
  message(field: number, encoded: Buffer): this {
    return this.bytes(field, encoded);
  }

  finish(): Buffer {
    return Buffer.concat(this.#chunks);
  }
}

export interface Field {
  readonly number: number;
  readonly wireType: number;
  /** varint value (wire type 0). */
  readonly uint: number;
  /** payload (wire type 2). */
  readonly bytes: Buffer;
}

function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return [value, i + 1];
  }
  throw new ProtoError('truncated varint');
}

/** Iterates the fields of an encoded message; unknown fields are returned too (callers skip them). */
export function* readFields(buf: Buffer): Generator<Field> {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    const number = Math.floor(key / 8);
    const wireType = key & 7;
    if (number === 0) throw new ProtoError('illegal field number 0');
    pos = afterKey;
    let uint = 0;
    let bytes: Buffer = EMPTY;
    switch (wireType) {
      case WIRE.varint:
        [uint, pos] = readVarint(buf, pos);
        break;
      case WIRE.fixed64:
        pos += 8;
        break;
      case WIRE.fixed32:
        pos += 4;
        break;
      case WIRE.bytes: {
        const [length, start] = readVarint(buf, pos);
        pos = start + length;
        if (pos > buf.length) throw new ProtoError('truncated field');
        bytes = buf.subarray(start, pos);
        break;
      }
      default:
        throw new ProtoError(`unsupported wire type ${wireType}`);
    }
    if (pos > buf.length) throw new ProtoError('truncated field');
    yield { number, wireType, uint, bytes };
  }
}

const EMPTY: Buffer = Buffer.alloc(0);

/** proto3 `string`: must be valid UTF-8, as Go's decoder insists. */
export function decodeString(field: Field): string {
  expectWire(field, WIRE.bytes);
  try {
    return utf8.decode(field.bytes);
  } catch {
    throw new ProtoError(`field ${field.number}: string is not valid UTF-8`);
  }
}

export function expectWire(field: Field, wireType: number): void {
  if (field.wireType !== wireType)
    throw new ProtoError(`field ${field.number}: wrong wire type ${field.wireType}`);
}
