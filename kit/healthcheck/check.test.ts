import { describe, expect, it } from '@jest/globals';
import { checkAll, parseTargets, type CheckOptions } from './check.js';

/** A clock that only moves when the check sleeps, and a fetch scripted per URL. */
function fakes(script: Record<string, Array<number | Error>>): CheckOptions {
  let now = 0;
  const calls = new Map<string, number>();
  return {
    deadlineMs: 10_000,
    intervalMs: 2_000,
    requestTimeoutMs: 1_000,
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    fetch: (url) => {
      const i = calls.get(url) ?? 0;
      calls.set(url, i + 1);
      const steps = script[url] ?? [];
      const step = steps[Math.min(i, steps.length - 1)];
      return step instanceof Error ? Promise.reject(step) : Promise.resolve({ status: step ?? 404 });
    },
  };
}

describe('parseTargets', () => {
  it('reads name=url pairs', () => {
    expect(parseTargets(['sentry=http://dapr-sentry:9090/', 'placement-0=http://p:8080/healthz'])).toEqual([
      { name: 'sentry', url: 'http://dapr-sentry:9090/' },
      { name: 'placement-0', url: 'http://p:8080/healthz' },
    ]);
  });

  it.each([[[]], [['sentry']], [['=http://x']], [['sentry=dapr-sentry:9090']]])('refuses %j', (args) => {
    expect(() => parseTargets(args)).toThrow();
  });
});

describe('checkAll', () => {
  it('waits for a target that is still starting', async () => {
    const results = await checkAll(
      [{ name: 'sentry', url: 'http://s/' }],
      fakes({ 'http://s/': [new Error('ECONNREFUSED'), 503, 200] }),
    );
    expect(results).toEqual([{ name: 'sentry', url: 'http://s/', healthy: true }]);
  });

  it('reports a target that never becomes healthy, with its last answer, and still checks the others', async () => {
    const results = await checkAll(
      [
        { name: 'operator', url: 'http://o/' },
        { name: 'sentry', url: 'http://s/' },
      ],
      fakes({ 'http://o/': [503], 'http://s/': [200] }),
    );
    expect(results).toEqual([
      { name: 'operator', url: 'http://o/', healthy: false, last: 'HTTP 503' },
      { name: 'sentry', url: 'http://s/', healthy: true },
    ]);
  });
});
