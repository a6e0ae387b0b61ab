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

/** What a suffix multiplies by (num/den) and which format it implies. */
function suffixScale(suffix: string): { num: bigint; den: bigint; format: Format } {
  const binary = BINARY_SUFFIXES.indexOf(suffix);
  if (suffix !== '' && binary > 0) return { num: 1024n ** BigInt(binary), den: 1n, format: 'BinarySI' };
  const exponent = /^[eE][+-]?[0-9]+$/.test(suffix);
  const exp = exponent ? BigInt(suffix.slice(1)) : BigInt(DECIMAL_SUFFIXES[suffix] ?? 0);
  const format: Format = exponent ? 'DecimalExponent' : 'DecimalSI';
  return exp >= 0n ? { num: 10n ** exp, den: 1n, format } : { num: 1n, den: 10n ** -exp, format };
}

function parse(text: string): Parsed | undefined {
  const m = QUANTITY.exec(text);
  if (m === null) return undefined;
  const [, sign = '', whole = '', fraction = '', suffix = ''] = m;
  if (whole === '' && fraction === '') return undefined;
  const scale = suffixScale(suffix);
  const num = BigInt(`${whole}${fraction}`) * NANO * scale.num;
  const den = 10n ** BigInt(fraction.length) * scale.den;
  const nanos = num / den + (num % den === 0n ? 0n : 1n);
  return { nanos: sign === '-' ? -nanos : nanos, format: scale.format };
}

/** Whether text is a Kubernetes resource quantity. */
export function isQuantity(text: string): boolean {
  return parse(text) !== undefined;
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
  const q = parse(text);
  if (q === undefined) return undefined;
  if (q.format === 'BinarySI') {
    const whole = q.nanos % NANO === 0n;
    if (whole && abs(q.nanos) >= 1024n * NANO) return binaryForm(q.nanos / NANO);
    return decimalForm(q.nanos, 'DecimalSI');
  }
  return decimalForm(q.nanos, q.format);
}
