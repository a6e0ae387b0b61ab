// Dapr's two log line formats, as pure functions of a record. Log pipelines built for the Go
// control plane parse these lines, so field names, level words and the time format must match
// (docs/contracts/observability.md §5); exact byte escaping need not.

/** One log record: the fixed fields plus any extra metadata. */
export type LogRecord = Readonly<Record<string, unknown>>;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * RFC 3339 in the process's local zone with up to 9 fraction digits, trailing zeros trimmed and
 * the fraction dropped when zero (Go's time.RFC3339Nano). A zero offset prints `Z`.
 */
export function formatRfc3339Nano(epochNs: bigint, offsetMinutes?: number): string {
  const ms = Number(epochNs / 1_000_000n);
  const offset = offsetMinutes ?? -new Date(ms).getTimezoneOffset();
  // Shift into the target zone and read the fields as if it were UTC.
  const local = new Date(ms + offset * 60_000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const clock = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const nanos = ((epochNs % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  const fraction = nanos === 0n ? '' : `.${nanos.toString().padStart(9, '0').replace(/0+$/, '')}`;
  let zone = 'Z';
  if (offset !== 0) {
    const abs = Math.abs(offset);
    zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  }
  return `${date}T${clock}${fraction}${zone}`;
}

/** Like Go's encoding/json: escapes <, > and & so logs are safe to embed in HTML. */
function escapeHtmlUnsafe(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One compact JSON object with keys in alphabetical order (Go marshals maps sorted). */
export function formatJsonLine(record: LogRecord): string {
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(record).sort()) sorted[key] = record[key];
  return `${escapeHtmlUnsafe(JSON.stringify(sorted))}\n`;
}

/** logrus' rule: a value stays bare only if made of letters, digits and - . _ / @ ^ +. */
const BARE_VALUE = /^[\p{L}\p{N}\-._/@^+]*$/u;

const GO_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
};

/**
 * strconv.Quote for the characters that matter in logs: quotes, backslashes and control
 * characters (C0 and DEL as \xNN, C1 as \uNNNN), printable Unicode kept as is.
 */
export function goQuote(text: string): string {
  const body = text.replace(/["\\\p{Cc}]/gu, (c) => {
    const code = c.charCodeAt(0);
    const known = GO_ESCAPES[c];
    if (known !== undefined) return known;
    if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, '0')}`;
    return `\\u${code.toString(16).padStart(4, '0')}`;
  });
  return `"${body}"`;
}

/** fmt.Sprint-like rendering of a field value, before quoting. */
function renderValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return `[${value.map((v) => renderValue(v)).join(' ')}]`;
  return JSON.stringify(value);
}

function field(key: string, value: unknown): string {
  const text = renderValue(value);
  return `${key}=${BARE_VALUE.test(text) ? text : goQuote(text)}`;
}

/**
 * The plain text format: `time=… level=… msg=…` then the other fields sorted by key. The
 * message is left out when empty.
 */
export function formatTextLine(record: LogRecord): string {
  const parts = [field('time', record.time), field('level', record.level)];
  if (typeof record.msg === 'string' && record.msg !== '') parts.push(field('msg', record.msg));
  const rest = Object.keys(record)
    .filter((k) => k !== 'time' && k !== 'level' && k !== 'msg')
    .sort();
  for (const key of rest) parts.push(field(key, record[key]));
  return `${parts.join(' ')}\n`;
}
