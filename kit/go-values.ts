// Parsing and printing of command-line values the way Go's strconv and time packages do.
// The chart, the dapr CLI and operators' scripts were written against the Go binaries, so a
// value Go accepts must mean the same thing here, and a value Go rejects must be rejected.

/** A value could not be parsed; `reason` is a short human explanation. */
export class ValueError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ValueError';
  }
}

const TRUE_WORDS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE_WORDS = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** strconv.ParseBool: exactly these twelve spellings, nothing else (no "yes", no "on"). */
export function parseGoBool(text: string): boolean {
  if (TRUE_WORDS.has(text)) return true;
  if (FALSE_WORDS.has(text)) return false;
  throw new ValueError('not a boolean (use true, false, 1, 0, t or f)');
}

/** Prefix → radix for strconv.ParseInt(s, 0, 64); a bare leading 0 means octal, as in Go. */
const INT_FORMS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^0[xX]([0-9a-fA-F]+)$/, 16],
  [/^0[bB]([01]+)$/, 2],
  [/^0[oO]([0-7]+)$/, 8],
  [/^0([0-7]+)$/, 8],
  [/^([1-9][0-9]*|0)$/, 10],
];

/**
 * strconv.ParseInt(s, 0, 64) restricted to JavaScript's safe integers: decimal, 0x, 0o, 0b and
 * legacy leading-zero octal, with an optional sign.
 */
export function parseGoInt(text: string): number {
  const negative = text.startsWith('-');
  const body = text.startsWith('-') || text.startsWith('+') ? text.slice(1) : text;
  for (const [form, radix] of INT_FORMS) {
    const digits = form.exec(body)?.[1];
    if (digits === undefined) continue;
    const magnitude = parseInt(digits, radix);
    if (!Number.isSafeInteger(magnitude)) throw new ValueError('value out of range');
    return negative ? -magnitude : magnitude;
  }
  throw new ValueError('not an integer');
}

const FLOAT_FORM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const FLOAT_SPECIAL = /^[+-]?(inf|infinity|nan)$/i;

/** strconv.ParseFloat(s, 64) for decimal and the inf/nan spellings (hex floats are not used by any flag). */
export function parseGoFloat(text: string): number {
  if (FLOAT_FORM.test(text)) return Number(text);
  if (FLOAT_SPECIAL.test(text)) {
    if (/nan/i.test(text)) return NaN;
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  throw new ValueError('not a number');
}

/** Nanoseconds per unit, as time.ParseDuration knows them. */
const NS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.Duration is an int64 of nanoseconds. */
const MAX_DURATION_NS = 2 ** 63;

const DURATION_PART = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/** One `<number><unit>` element of a duration: its length in the text and its nanoseconds. */
function durationPart(text: string): { length: number; ns: number } {
  const m = DURATION_PART.exec(text);
  const [whole = '', frac = '', unit = ''] = m === null ? [] : m.slice(1);
  if (m === null || (whole === '' && frac === '')) throw new ValueError('invalid duration');
  if (unit === '') throw new ValueError('missing unit in duration');
  const perUnit = NS_PER_UNIT[unit];
  if (perUnit === undefined) throw new ValueError(`unknown unit "${unit}" in duration`);
  return { length: m[0].length, ns: Number(`${whole || '0'}.${frac || '0'}`) * perUnit };
}

/**
 * time.ParseDuration: a signed sequence of decimal numbers each with a unit ("300ms", "1h30m",
 * "-1.5h", "0"). Returns milliseconds, fractional below one millisecond.
 */
export function parseGoDuration(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  let rest = text.startsWith('-') || text.startsWith('+') ? text.slice(1) : text;
  if (rest === '0') return 0;
  if (rest === '') throw new ValueError('invalid duration');
  let totalNs = 0;
  while (rest !== '') {
    const part = durationPart(rest);
    totalNs += part.ns;
    rest = rest.slice(part.length);
  }
  if (totalNs >= MAX_DURATION_NS) throw new ValueError('duration out of range');
  // Go truncates to whole nanoseconds.
  return (sign * Math.trunc(totalNs)) / 1e6;
}

/** Trims a decimal fraction's trailing zeros ("1.500" → "1.5", "2.000" → "2"). */
function trimFraction(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, '');
}

/**
 * time.Duration.String for a value in milliseconds: "0s", "500ms", "1.5s", "1m30s", "24h0m0s".
 * Used in usage text and in validation messages that quote durations.
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1e-3) return `${sign}${Math.round(abs * 1e6)}ns`;
  if (abs < 1) return `${sign}${trimFraction(abs * 1e3, 3)}µs`;
  if (abs < 1e3) return `${sign}${trimFraction(abs, 6)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = trimFraction((abs % 60_000) / 1e3, 9);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

const TRUTHY = new Set(['y', 'yes', 'true', 't', 'on', '1']);

/**
 * dapr/kit's IsTruthy: after trim and lower-case, y/yes/true/t/on/1 are true, all else false.
 * Env switches and the dapr.io/* boolean annotations (injector, operator) use it.
 */
export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.has(value.trim().toLowerCase());
}
