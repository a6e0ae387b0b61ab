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

/** Time of `run` on an input of size n and of size 4n. */
export async function growth<T>(
  make: (size: number) => T,
  run: (input: T) => unknown,
  n: number,
): Promise<Growth> {
  const small = make(n);
  const large = make(4 * n);
  await bestTimeMs(() => run(small), 1); // warm-up: JIT and lazy initialisation
  const smallMs = await bestTimeMs(() => run(small));
  const largeMs = await bestTimeMs(() => run(large));
  return { smallMs, largeMs, ratio: largeMs / Math.max(smallMs, 1) };
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
