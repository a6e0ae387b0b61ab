import { describe, expect, it } from '@jest/globals';
import { recordingLogger } from '../../kit/testing/logger.js';
import { generateBundle, type X509Bundle } from './bundle.js';
import type { ChangeSource, Timers } from './changes.js';
import type { LoadedCa } from './loader.js';
import { CaProvider } from './provider.js';

const newBundle = (): X509Bundle =>
  generateBundle({
    trustDomain: 'cluster.local',
    controlPlaneNamespace: 'dapr-system',
    allowedClockSkewMs: 0,
  });

/** A change source the test fires by hand. */
function manualSource(): { source: ChangeSource; fire: (what?: string) => void } {
  let notify: ((what: string) => void) | undefined;
  return {
    source: (n, signal) =>
      new Promise((resolve) => {
        notify = n;
        signal.addEventListener('abort', () => resolve(), { once: true });
      }),
    fire: (what = 'file') => notify?.(what),
  };
}

/** Timers whose callbacks run when the test calls flush(). */
function manualTimers(): Timers & { flush(): void } {
  const pending = new Set<() => void>();
  return {
    setTimeout: (callback) => {
      pending.add(callback);
      return callback;
    },
    clearTimeout: (handle) => pending.delete(handle as () => void),
    flush: () => {
      const all = [...pending];
      pending.clear();
      for (const f of all) f();
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Harness {
  provider: CaProvider;
  loads: (LoadedCa | Error)[];
  fire: () => void;
  flush: () => void;
  changed: number;
  reloads: number;
  stored: string;
  log: ReturnType<typeof recordingLogger>;
  stop: () => Promise<void>;
}

async function harness(first: LoadedCa): Promise<Harness> {
  const { source, fire } = manualSource();
  const timers = manualTimers();
  const log = recordingLogger();
  const state: Harness = {
    loads: [first],
    changed: 0,
    reloads: 0,
    stored: first.fingerprint,
    log,
    fire,
    flush: () => timers.flush(),
    provider: undefined as unknown as CaProvider,
    stop: () => Promise.resolve(),
  };
  state.provider = new CaProvider({
    load: () => {
      const next = state.loads.shift();
      if (next === undefined) return Promise.reject(new Error('no more loads scripted'));
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    workloadCertTtlMs: 3_600_000,
    allowedClockSkewMs: 0,
    sources: [source],
    stored: () => Promise.resolve(state.stored),
    log,
    metrics: { issuerCertChanged: () => state.changed++ },
    timers,
  });
  state.provider.onReload(() => state.reloads++);
  await state.provider.start();
  const stop = new AbortController();
  const running = state.provider.run(stop.signal);
  state.stop = async () => {
    stop.abort();
    await running;
  };
  await settle();
  return state;
}

describe('sentry §5: reloading the CA when its credentials change', () => {
  it('counts each change, batches them, and swaps in the new CA', async () => {
    const first = { bundle: newBundle(), fingerprint: 'one', generated: false };
    const second = { bundle: newBundle(), fingerprint: 'two', generated: false };
    const h = await harness(first);
    expect(h.provider.current()?.trustAnchorsPem).toEqual(first.bundle.trustAnchorsPem);
    h.loads.push(second);
    h.stored = 'two';
    h.fire();
    h.fire();
    h.fire();
    expect(h.changed).toBe(3);
    h.flush();
    await settle();
    expect(h.provider.current()?.trustAnchorsPem).toEqual(second.bundle.trustAnchorsPem);
    expect(h.provider.fingerprint).toBe('two');
    expect(h.reloads).toBe(1);
    expect(
      h.log.lines.some((l) => l.level === 'warn' && l.msg === 'Issuer credentials changed; reloading'),
    ).toBe(true);
    await h.stop();
  });

  it('a failed reload keeps signing with the CA in use, and logs an error', async () => {
    const first = { bundle: newBundle(), fingerprint: 'one', generated: false };
    const h = await harness(first);
    h.loads.push(new Error('failed to verify CA bundle'));
    h.stored = 'broken';
    h.fire();
    h.flush();
    await settle();
    expect(h.provider.current()?.trustAnchorsPem).toEqual(first.bundle.trustAnchorsPem);
    expect(h.reloads).toBe(0);
    expect(h.log.lines.find((l) => l.level === 'error')?.msg).toMatch(/still signing with the previous ones/);
    await h.stop();
  });

  it('does not reload when the store still holds what is loaded (e.g. its own write)', async () => {
    const h = await harness({ bundle: newBundle(), fingerprint: 'same', generated: true });
    h.fire();
    h.flush();
    await settle();
    expect(h.changed).toBe(1);
    expect(h.reloads).toBe(0);
    expect(h.loads).toHaveLength(0);
    await h.stop();
  });

  it('a first load that fails is fatal', async () => {
    const provider = new CaProvider({
      load: () => Promise.reject(new Error('Secret has only part of the CA bundle')),
      workloadCertTtlMs: 1,
      allowedClockSkewMs: 0,
      sources: [],
      log: recordingLogger(),
    });
    await expect(provider.start()).rejects.toThrow('only part');
    expect(provider.current()).toBeUndefined();
  });
});
