import { describe, expect, it } from '@jest/globals';
import { ChangeBatcher, pollForChanges, RELOAD_BATCH_MS, type Timers } from './changes.js';

/** Timers that fire only when the test says so. */
function manualTimers(): Timers & { fire(): void; scheduled: number[] } {
  let pending: { callback: () => void; ms: number } | undefined;
  const scheduled: number[] = [];
  return {
    scheduled,
    setTimeout: (callback, ms) => {
      pending = { callback, ms };
      scheduled.push(ms);
      return pending;
    },
    clearTimeout: (handle) => {
      if (handle === pending) pending = undefined;
    },
    fire: () => {
      const p = pending;
      pending = undefined;
      p?.callback();
    },
  };
}

describe('sentry §5: batching credential changes (2 s, as upstream)', () => {
  it('many changes within the window after the first make one reload', () => {
    const timers = manualTimers();
    let batches = 0;
    const batcher = new ChangeBatcher({ onBatch: () => batches++, timers });
    batcher.notify();
    batcher.notify();
    batcher.notify();
    expect(timers.scheduled).toEqual([RELOAD_BATCH_MS]);
    expect(batcher.pending).toBe(true);
    timers.fire();
    expect(batches).toBe(1);
    expect(batcher.pending).toBe(false);
  });

  it('a change after the window closed starts a new batch', () => {
    const timers = manualTimers();
    let batches = 0;
    const batcher = new ChangeBatcher({ onBatch: () => batches++, timers, windowMs: 10 });
    batcher.notify();
    timers.fire();
    batcher.notify();
    timers.fire();
    expect(batches).toBe(2);
    expect(timers.scheduled).toEqual([10, 10]);
  });

  it('stop() drops a pending batch', () => {
    const timers = manualTimers();
    let batches = 0;
    const batcher = new ChangeBatcher({ onBatch: () => batches++, timers });
    batcher.notify();
    batcher.stop();
    timers.fire();
    expect(batches).toBe(0);
  });
});

describe('sentry §5: polling the Kubernetes Secret for a rotation', () => {
  /** Runs the poller over a script of stored fingerprints; one poll per delay, no sleeping. */
  async function poll(stored: (string | Error)[], loaded: () => string): Promise<string[]> {
    const notified: string[] = [];
    const stop = new AbortController();
    let i = 0;
    const source = pollForChanges({
      current: () => {
        const next = stored[i++];
        if (i >= stored.length) stop.abort();
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next ?? '');
      },
      loaded,
      what: 'Secret x/dapr-trust-bundle',
      delay: () => Promise.resolve(),
    });
    await source((what) => notified.push(`${i}:${what}`), stop.signal);
    return notified;
  }

  it('notifies once per new stored value that differs from the loaded one', async () => {
    const notified = await poll(['a', 'b', 'b', 'b', 'c'], () => 'a');
    expect(notified).toEqual(['2:Secret x/dapr-trust-bundle', '5:Secret x/dapr-trust-bundle']);
  });

  it('is quiet when the store holds what was loaded (e.g. sentry’s own write), and survives read errors', async () => {
    let loaded = 'a';
    const notified = await poll(['a', new Error('apiserver down'), 'a'], () => loaded);
    expect(notified).toEqual([]);
    loaded = 'b';
    expect(await poll(['b', 'b'], () => loaded)).toEqual([]);
  });
});
