// Annotations are written by whoever may create pods, and the injector reads them on the API
// server's admission path: each value must parse in bounded, linear time (issue 15).
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseAnnotations } from './parse.js';
import { canonicalQuantity, MAX_QUANTITY_LENGTH, quantityProblem } from './quantity.js';
import { ANNOTATIONS } from './table.js';
import { sidecarResources } from './sidecar-config.js';
import { parseEnvFromSecret, parseEnvList, parseVolumeMountList, trimAddress } from './values.js';
import { growth, hostileText, LINEAR_RATIO_LIMIT, PROPERTY_RUNS } from '../../kit/testing/hostile.js';

/** Kubernetes' limit on all of an object's annotations together. */
const ANNOTATIONS_MAX_BYTES = 256 * 1024;

describe('injector quantities are bounded like Kubernetes reads them (issue 15)', () => {
  it('"1e300000000" (13 characters) is refused at once instead of a billion-bit number', () => {
    const start = performance.now();
    expect(canonicalQuantity('1e300000000')).toBeUndefined();
    expect(quantityProblem('1e300000000')).toBe('larger than 2^63-1');
    expect(performance.now() - start).toBeLessThan(100);
  });

  it.each([
    ['1e9999999999', 'exponent 9999999999 is outside the int32 range Kubernetes reads'],
    ['1e-9999999999', 'exponent -9999999999 is outside the int32 range Kubernetes reads'],
    ['9223372036854775808', 'larger than 2^63-1'],
    ['8Ei', 'larger than 2^63-1'],
    ['10E', 'larger than 2^63-1'],
    [`${'0'.repeat(MAX_QUANTITY_LENGTH)}1`, `longer than ${MAX_QUANTITY_LENGTH} characters`],
    ['lots', 'not a quantity'],
  ])('%p is refused: %s', (text, reason) => {
    expect(quantityProblem(text)).toBe(reason);
    expect(canonicalQuantity(text)).toBeUndefined();
  });

  it.each([
    ['9223372036854775807', '9223372036854775807'],
    ['1e-300000000', '1e-9'],
    ['-1e-300000000', '-1e-9'],
    ['0e300000000', '0'],
    ['0.000000000000001', '1n'],
    ['7Ei', '7Ei'],
    ['9E', '9E'],
  ])('%p is still read, as %p', (text, canonical) => {
    expect(quantityProblem(text)).toBeUndefined();
    expect(canonicalQuantity(text)).toBe(canonical);
  });

  it('the warning for a refused sidecar resource says why', () => {
    const { values } = parseAnnotations({ 'dapr.io/sidecar-cpu-limit': '1e300000000' });
    const warnings: string[] = [];
    expect(sidecarResources(values, warnings)).toBeUndefined();
    expect(warnings).toEqual([
      'invalid cpu limit "1e300000000" (larger than 2^63-1); sidecar resources ignored',
    ]);
  });

  it('property: any text gets a canonical form or a reason, never a throw, in bounded time', () => {
    const alphabet = ['0', '1', '9', '.', 'e', 'E', '+', '-', 'Ki', 'Ei', 'm', 'n', '999999999'];
    fc.assert(
      fc.property(hostileText(alphabet, 40), (text) => {
        const start = performance.now();
        const canonical = canonicalQuantity(text);
        const problem = quantityProblem(text);
        expect(canonical === undefined).toBe(problem !== undefined);
        if (canonical !== undefined) expect(canonicalQuantity(canonical)).toBe(canonical);
        expect(performance.now() - start).toBeLessThan(250); // generous: a busy machine
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});

/** Values of the largest size Kubernetes accepts, shaped to make a regex backtrack. */
const HOSTILE_VALUES: Record<string, (size: number) => string> = {
  'a run of quotes inside an address': (size) => `x${'"'.repeat(size)}x`,
  'quotes around an address': (size) => `${"'".repeat(size / 2)}host${'"'.repeat(size / 2)}`,
  'commas and blanks in an env list': (size) => `A=1${', '.repeat(size / 2)}`,
  'a long name without = in an env list': (size) => `,${'A'.repeat(size)}`,
  'digits of an int annotation': (size) => '9'.repeat(size),
  'colons in a volume list': (size) => `${'v:'.repeat(size / 2)},`,
};

describe('every annotation value parses in linear time (issue 15)', () => {
  it('trimAddress over a 256 KiB run of quotes takes milliseconds (was 108 s)', () => {
    const start = performance.now();
    expect(trimAddress(HOSTILE_VALUES['a run of quotes inside an address']!(ANNOTATIONS_MAX_BYTES))).toBe(
      `x${'"'.repeat(ANNOTATIONS_MAX_BYTES)}x`,
    );
    expect(trimAddress(`"'${' '.repeat(10)}host${' '.repeat(10)}'"`)).toBe('host');
    expect(performance.now() - start).toBeLessThan(100);
  });

  const keys = Object.values(ANNOTATIONS).map((a) => a.key);
  it.each(Object.keys(HOSTILE_VALUES))('%s: time grows linearly, for every annotation key', async (name) => {
    const make = (size: number): Record<string, string> => {
      const value = HOSTILE_VALUES[name]!(size);
      return Object.fromEntries(keys.map((k) => [k, value]));
    };
    const run = (annotations: Record<string, string>): void => {
      const { values, warnings } = parseAnnotations(annotations);
      sidecarResources(values, [...warnings]);
      const value = Object.values(annotations)[0]!;
      parseEnvList(value);
      parseEnvFromSecret(value);
      parseVolumeMountList(value);
    };
    const g = await growth(make, run, ANNOTATIONS_MAX_BYTES / keys.length / 4);
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });

  it('property: any annotations parse without a throw', () => {
    const alphabet = ['"', "'", ' ', ',', '=', ':', 'A', '1', '-', 'e', 'Ki', '\n', '/'];
    fc.assert(
      fc.property(fc.constantFrom(...keys), hostileText(alphabet), (key, value) => {
        const { values, warnings } = parseAnnotations({ [key]: value });
        sidecarResources(values, [...warnings]);
        parseEnvFromSecret(value);
        parseVolumeMountList(value);
        for (const w of warnings) expect(typeof w).toBe('string');
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });
});
