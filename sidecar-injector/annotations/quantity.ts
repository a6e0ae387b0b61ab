// Kubernetes resource quantities ("500m", "1Gi", "1e3"): validation and the canonical form the
// Go injector prints when it marshals a parsed quantity (so "0.5" becomes "500m" and "1024Mi"
// becomes "1Gi"). Exact arithmetic with BigInt; values finer than 1n are rounded away from zero.

const QUANTITY = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const NANO = 10n ** 9n;

interface Parsed {
  /** The value in units of 1e-9, rounded away from zero. */
  readonly nanos: bigint;
  readonly format: Format;
}

/**
 * Bounds that keep the BigInt arithmetic small (docs/injector.md, Limits): "1e300000000" is 13
 * characters but would be a billion-bit number. Kubernetes reads the exponent into an int32 and
 * caps binary quantities at 2^63-1 (resource.Quantity's maxAllowed); a sidecar needs nothing
 * larger, so larger values are refused rather than capped. No quantity has use for more digits
 * than int64 plus nine fractional places, so 64 characters leaves room for padding zeros.
 */
export const MAX_QUANTITY_LENGTH = 64;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const MAX_ALLOWED_NANOS = (2n ** 63n - 1n) * NANO;

type Outcome = { readonly parsed: Parsed } | { readonly reason: string };

const EXPONENT_SUFFIX = /^[eE][+-]?[0-9]+$/;

/** The power of ten a decimal or exponent suffix multiplies by, or a reason it is refused. */
function decimalExponent(suffix: string): number | string {
  if (!EXPONENT_SUFFIX.test(suffix)) return DECIMAL_SUFFIXES[suffix] ?? 0;
  const exp = Number(suffix.slice(1));
  if (!Number.isSafeInteger(exp) || exp < INT32_MIN || exp > INT32_MAX) {
    return `exponent ${suffix.slice(1)} is outside the int32 range Kubernetes reads`;
  }
  return exp;
}

/** The format a suffix implies. */
function formatOf(suffix: string): Format {
  if (suffix !== '' && BINARY_SUFFIXES.indexOf(suffix) > 0) return 'BinarySI';
  return EXPONENT_SUFFIX.test(suffix) ? 'DecimalExponent' : 'DecimalSI';
}

/**
 * digits x 10^-fractionDigits x the suffix, in nanos rounded away from zero, or a reason. The
 * decimal exponent is checked against the value's order of magnitude before any power is built.
 */
function nanosOf(digits: string, fractionDigits: number, suffix: string): bigint | string {
  let num = BigInt(digits) * NANO;
  let den = 10n ** BigInt(fractionDigits);
  if (formatOf(suffix) === 'BinarySI') {
    num *= 1024n ** BigInt(BINARY_SUFFIXES.indexOf(suffix));
  } else {
    const exp = decimalExponent(suffix);
    if (typeof exp === 'string') return exp;
    // value = digits * 10^(exp - fraction digits); its leading digit sits at 10^order.
    const order = digits.length - 1 + exp - fractionDigits;
    if (order > 18) return 'larger than 2^63-1';
    if (order < -10) return 1n; // below 1n: rounded away from zero, without computing 10^-exp
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  const nanos = num / den + (num % den === 0n ? 0n : 1n);
  return nanos > MAX_ALLOWED_NANOS ? 'larger than 2^63-1' : nanos;
}

function parse(text: string): Outcome {
  if (text.length > MAX_QUANTITY_LENGTH) return { reason: `longer than ${MAX_QUANTITY_LENGTH} characters` };
  const m = QUANTITY.exec(text);
  if (m === null) return { reason: 'not a quantity' };
  const [, sign = '', whole = '', fraction = '', suffix = ''] = m;
  if (whole === '' && fraction === '') return { reason: 'not a quantity' };
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  const format = formatOf(suffix);
  if (digits === '') return { parsed: { nanos: 0n, format } };
  const nanos = nanosOf(digits, fraction.length, suffix);
  if (typeof nanos === 'string') return { reason: nanos };
  return { parsed: { nanos: sign === '-' ? -nanos : nanos, format } };
}

/** Why text is not an acceptable quantity, or undefined when it is one. */
export function quantityProblem(text: string): string | undefined {
  const outcome = parse(text);
  return 'reason' in outcome ? outcome.reason : undefined;
}

/** Whether text is a Kubernetes resource quantity. */
export function isQuantity(text: string): boolean {
  return 'parsed' in parse(text);
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

function decimalForm(nanos: bigint, format: Format): string {
  let mantissa = nanos;
  let exp = -9;
  while (mantissa !== 0n && mantissa % 1000n === 0n && exp < 18) {
    mantissa /= 1000n;
    exp += 3;
  }
  if (mantissa === 0n) return '0';
  if (format === 'DecimalExponent') return exp === 0 ? `${mantissa}` : `${mantissa}e${exp}`;
  const suffix = Object.entries(DECIMAL_SUFFIXES).find(([, e]) => e === exp)?.[0] ?? '';
  return `${mantissa}${suffix}`;
}

function binaryForm(units: bigint): string {
  let mantissa = units;
  let power = 0;
  while (mantissa % 1024n === 0n && power < BINARY_SUFFIXES.length - 1) {
    mantissa /= 1024n;
    power += 1;
  }
  return `${mantissa}${BINARY_SUFFIXES[power]}`;
}

/**
 * The canonical text of a quantity, or undefined when text is not one. Binary values below 1024
 * or with a fraction are printed in decimal SI, as Kubernetes does.
 */
export function canonicalQuantity(text: string): string | undefined {
  const outcome = parse(text);
  if (!('parsed' in outcome)) return undefined;
  const q = outcome.parsed;
  if (q.format === 'BinarySI') {
    const whole = q.nanos % NANO === 0n;
    if (whole && abs(q.nanos) >= 1024n * NANO) return binaryForm(q.nanos / NANO);
    return decimalForm(q.nanos, 'DecimalSI');
  }
  return decimalForm(q.nanos, q.format);
}
