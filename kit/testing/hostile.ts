// Measuring how a decoder's time grows with its input, for the hostile-input tests (issue 15):
// a linear decoder takes about 4x as long on an input 4x as large, a quadratic one 16x. Ratios,
// not absolute times, so the checks hold on a slow or busy machine; each time is the best of a
// few runs, so one garbage collection or scheduling pause does not decide the result.
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Milliseconds of the fastest of `runs` calls (sync or async). */
export async function bestTimeMs(run: () => unknown, runs = 3): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    try {
      await run();
    } catch {
      // Failing fast is a fine outcome here; correctness is asserted elsewhere.
    }
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

export interface Growth {
  readonly smallMs: number;
  readonly largeMs: number;
  /** largeMs / smallMs, with the small time floored at 1 ms so timer noise cannot inflate it. */
  readonly ratio: number;
}

/**
 * Time of `run` on an input of size n and of size 4n. A ratio at or over LINEAR_RATIO_LIMIT is
 * measured again (up to three times in all) and the lowest kept: a busy machine can slow one
 * measurement, but a quadratic decoder is slow on every one.
 */
export async function growth<T>(
  make: (size: number) => T,
  run: (input: T) => unknown,
  n: number,
): Promise<Growth> {
  const small = make(n);
  const large = make(4 * n);
  await bestTimeMs(() => run(small), 1); // warm-up: JIT and lazy initialisation
  let best: Growth | undefined;
  for (let attempt = 0; attempt < 3 && (best === undefined || best.ratio >= LINEAR_RATIO_LIMIT); attempt++) {
    const smallMs = await bestTimeMs(() => run(small));
    const largeMs = await bestTimeMs(() => run(large));
    const measured = { smallMs, largeMs, ratio: largeMs / Math.max(smallMs, 1) };
    if (best === undefined || measured.ratio < best.ratio) best = measured;
  }
  return best!;
}

/**
 * The ratio a linear decoder stays under for 4x the input: 4 plus generous room for noise, and
 * still well below the 16 of a quadratic one.
 */
export const LINEAR_RATIO_LIMIT = 10;

/** fast-check runs per property: enough to find crashes, few enough for the unit suite. */
export const PROPERTY_RUNS = 300;

/** Random bytes, biased to the characters decoders give meaning to. */
export function hostileText(alphabet: readonly string[], maxLength = 512): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.constantFrom(...alphabet), fc.string({ maxLength: 4 })), { maxLength })
    .map((parts) => parts.join(''));
}

let gc: (() => void) | undefined;

/** A full garbage collection, so heap sizes compare live data (exposes gc on first use). */
export function collectGarbage(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

/** Bytes of live JavaScript heap and buffers, after a full collection. */
export function liveBytes(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Valid encodings with bytes changed, cut short or appended, and plain random bytes. */
export function mutatedBytes(seeds: readonly Buffer[], maxRandom = 512): fc.Arbitrary<Buffer> {
  const mutated = fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 16 }),
    )
    .map(([seed, flips, cut, tail]) => {
      const copy = Buffer.from(seed);
      for (const [at, byte] of flips) if (copy.length > 0) copy[at % copy.length] = byte;
      const kept = cut === undefined ? copy : copy.subarray(0, cut % (copy.length + 1));
      return Buffer.concat([kept, Buffer.from(tail)]);
    });
  const random = fc.uint8Array({ maxLength: maxRandom }).map((b) => Buffer.from(b));
  return fc.oneof(mutated, random);
}

/**
 * The decoder contract for untrusted bytes: `decode` returns, or throws an error `isClear`
 * accepts (its own error type, with a message); any other throw fails the property.
 */
export function assertDecodesOrRefuses(
  inputs: fc.Arbitrary<Buffer>,
  decode: (input: Buffer) => unknown,
  isClear: (err: unknown) => boolean,
): void {
  fc.assert(
    fc.property(inputs, (input) => {
      try {
        decode(input);
      } catch (err) {
        if (!isClear(err) || !(err instanceof Error) || err.message === '') {
          throw new Error(`unclear failure for ${input.toString('hex')}: ${String(err)}`, { cause: err });
        }
      }
    }),
    { numRuns: PROPERTY_RUNS },
  );
}

/** With HOSTILE_TIMINGS set, prints a measured number (for the closing notes of issue 15). */
export function reportMeasurement(label: string, value: number, unit: string): void {
  if (process.env.HOSTILE_TIMINGS !== undefined)
    process.stderr.write(`[hostile] ${label}: ${value.toFixed(1)} ${unit}\n`);
}
