// docs/all-in-one.md ("What is shared"): one list-and-watch per collection, fanned out to every
// subscriber with its own transform; a late subscriber gets the whole set; a relist reaches
// everyone; the watch ends with its last subscriber.
import { describe, expect, it } from '@jest/globals';
import { KubeApiError, type KubeApi, type RequestOptions, type WatchEvent } from './client.js';
import type { ListWatchHandler } from './list-watch.js';
import { SharedWatches, type WatchSubscription } from './shared-watches.js';
import { FakeKubeApi } from './testing/fake-api.js';

const PODS = '/api/v1/pods';
const obj = (name: string, rv: string, v = 'x'): unknown => ({ metadata: { name, resourceVersion: rv }, v });

/** A handler that records its calls; `tag` is what its transform puts in front of each name. */
function subscriber(
  tag: string,
  extra: Partial<WatchSubscription<string>> = {},
): WatchSubscription<string> & { calls: string[] } {
  const calls: string[] = [];
  const handler: ListWatchHandler<string> = {
    replace: (items) => calls.push(`replace:${items.join(',')}`),
    upsert: (item) => calls.push(`upsert:${item}`),
    deleted: (item) => calls.push(`deleted:${item}`),
  };
  return {
    path: PODS,
    transform: (raw) => {
      const o = raw as { metadata?: { name?: string }; v?: string };
      return o.metadata?.name === undefined ? undefined : `${tag}${o.metadata.name}=${o.v ?? ''}`;
    },
    handler,
    calls,
    ...extra,
  };
}

/** Watch sessions that stay open until aborted; `emit` sends to the newest one. */
function openWatches(api: FakeKubeApi, count: number): { emit(e: WatchEvent): void; aborted: number[] } {
  const emitters: ((e: WatchEvent) => void)[] = [];
  const aborted: number[] = [];
  for (let i = 0; i < count; i++) {
    api.withWatch(
      (onEvent, signal) =>
        new Promise<void>((resolve) => {
          emitters.push(onEvent);
          signal.addEventListener('abort', () => {
            aborted.push(i);
            resolve();
          });
        }),
    );
  }
  return { emit: (e) => emitters.at(-1)!(e), aborted };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

const lists = (api: FakeKubeApi): number =>
  api.requests.filter((r) => r.path === PODS && r.query.continue === undefined).length;

describe('SharedWatches', () => {
  it('fans one list and one watch out to every subscriber, each with its own transform', async () => {
    const api = new FakeKubeApi().withList(PODS, [[obj('a', '5'), obj('b', '6')]], '10');
    const watch = openWatches(api, 1);
    const watches = new SharedWatches({ api, random: () => 0 });
    const stop = new AbortController();
    const one = subscriber('1:');
    const two = subscriber('2:', { pageSize: 100 });
    const running = [watches.run(one, stop.signal), watches.run(two, stop.signal)];
    await settle();
    watch.emit({ type: 'ADDED', object: obj('c', '11') });
    watch.emit({ type: 'DELETED', object: obj('a', '12') });
    expect(one.calls).toEqual(['replace:1:a=x,1:b=x', 'upsert:1:c=x', 'deleted:1:a=x']);
    expect(two.calls).toEqual(['replace:2:a=x,2:b=x', 'upsert:2:c=x', 'deleted:2:a=x']);
    expect(watches.watchCount).toBe(1);
    expect(api.watches).toHaveLength(1);
    // One list, with the smallest page size asked for.
    expect(api.requests.map((r) => r.query)).toEqual([{ limit: 100, continue: undefined }]);
    stop.abort();
    await Promise.all(running);
    expect(watches.watchCount).toBe(0);
  });

  it('watches other selectors separately', async () => {
    const api = new FakeKubeApi().withList(PODS, [[]], '1').withList(PODS, [[]], '1');
    const watches = new SharedWatches({ api });
    const stop = new AbortController();
    const running = [
      watches.run(subscriber('a'), stop.signal),
      watches.run(subscriber('b', { selectors: { labelSelector: 'x=y' } }), stop.signal),
      watches.run(subscriber('c', { selectors: { labelSelector: 'x=y' } }), stop.signal),
    ];
    await settle();
    expect(watches.watchCount).toBe(2);
    expect(api.watches.map((q) => q.labelSelector)).toEqual([undefined, 'x=y']);
    stop.abort();
    await Promise.all(running);
  });

  it('gives a late subscriber the whole set: the watch lists again for everyone and resumes from there', async () => {
    const api = new FakeKubeApi()
      .withList(PODS, [[obj('a', '5')]], '10')
      .withList(PODS, [[obj('a', '5'), obj('b', '15')]], '20');
    const watch = openWatches(api, 2);
    const watches = new SharedWatches({ api, random: () => 0 });
    const stop = new AbortController();
    const early = subscriber('e:');
    const late = subscriber('l:');
    const running = [watches.run(early, stop.signal)];
    await settle();
    watch.emit({ type: 'MODIFIED', object: obj('a', '11', 'y') });
    running.push(watches.run(late, stop.signal));
    await settle();
    watch.emit({ type: 'ADDED', object: obj('c', '21') });
    expect(early.calls).toEqual(['replace:e:a=x', 'upsert:e:a=y', 'replace:e:a=x,e:b=x', 'upsert:e:c=x']);
    expect(late.calls).toEqual(['replace:l:a=x,l:b=x', 'upsert:l:c=x']);
    // The first watch was closed: one watch at a time, resumed from the new list.
    expect(watch.aborted).toEqual([0]);
    expect(api.watches.map((q) => q.resourceVersion)).toEqual(['10', '20']);
    stop.abort();
    await Promise.all(running);
  });

  it('a subscriber that joins during the first list restarts it, and nobody gets a partial list', async () => {
    const fake = new FakeKubeApi()
      .withList(PODS, [[obj('a', '1')], [obj('b', '2')]], '3')
      .withList(PODS, [[obj('a', '1')], [obj('b', '2')]], '3');
    // The first list's second page waits until the second subscriber has joined.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let gated = false;
    const api: KubeApi = {
      request: async <T>(path: string, options?: RequestOptions): Promise<T> => {
        if (options?.query?.continue === '1' && !gated) {
          gated = true;
          await gate;
        }
        return fake.request<T>(path, options);
      },
      watch: (path, query, onEvent, signal) => fake.watch(path, query, onEvent, signal),
    };
    const watches = new SharedWatches({ api, random: () => 0 });
    const stop = new AbortController();
    const first = subscriber('1:', { pageSize: 1 });
    const second = subscriber('2:');
    const running = [watches.run(first, stop.signal)];
    await settle();
    expect(gated).toBe(true);
    running.push(watches.run(second, stop.signal));
    release();
    await settle();
    expect(first.calls).toEqual(['replace:1:a=x,1:b=x']);
    expect(second.calls).toEqual(['replace:2:a=x,2:b=x']);
    expect(fake.watches).toHaveLength(1);
    expect(lists(fake)).toBe(2);
    stop.abort();
    await Promise.all(running);
  });

  it('a relist after 410 Gone reaches every subscriber', async () => {
    const api = new FakeKubeApi()
      .withList(PODS, [[obj('a', '5')]], '10')
      .withList(PODS, [[obj('b', '30')]], '31')
      .withWatch(() => Promise.reject(new KubeApiError(410, 'Expired', 'too old resource version')));
    const delays: number[] = [];
    const watches = new SharedWatches({
      api,
      delay: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    const stop = new AbortController();
    const one = subscriber('1:');
    const two = subscriber('2:');
    const running = [watches.run(one, stop.signal), watches.run(two, stop.signal)];
    await settle();
    expect(one.calls).toEqual(['replace:1:a=x', 'replace:1:b=x']);
    expect(two.calls).toEqual(['replace:2:a=x', 'replace:2:b=x']);
    expect(api.watches.map((q) => q.resourceVersion)).toEqual(['10', '31']);
    expect(delays).toEqual([]);
    stop.abort();
    await Promise.all(running);
  });

  it('keeps watching while a subscriber is left, and stops the watch when the last one leaves', async () => {
    const api = new FakeKubeApi().withList(PODS, [[obj('a', '5')]], '10');
    const watch = openWatches(api, 1);
    const watches = new SharedWatches({ api });
    const stopOne = new AbortController();
    const stopTwo = new AbortController();
    const one = subscriber('1:');
    const two = subscriber('2:');
    const runOne = watches.run(one, stopOne.signal);
    const runTwo = watches.run(two, stopTwo.signal);
    await settle();
    stopOne.abort();
    await runOne;
    watch.emit({ type: 'ADDED', object: obj('b', '11') });
    expect(one.calls).toEqual(['replace:1:a=x']);
    expect(two.calls).toEqual(['replace:2:a=x', 'upsert:2:b=x']);
    expect(watch.aborted).toEqual([]);
    expect(watches.watchCount).toBe(1);
    stopTwo.abort();
    await runTwo;
    expect(watch.aborted).toEqual([0]);
    expect(watches.watchCount).toBe(0);
    expect(lists(api)).toBe(1);
  });

  it('a subscriber whose handler throws does not keep the event from the others', async () => {
    const api = new FakeKubeApi().withList(PODS, [[]], '10');
    const watch = openWatches(api, 1);
    const watches = new SharedWatches({ api });
    const stop = new AbortController();
    const failing = subscriber('f:');
    failing.handler.upsert = () => {
      throw new Error('handler bug');
    };
    const healthy = subscriber('h:');
    const running = [watches.run(failing, stop.signal), watches.run(healthy, stop.signal)];
    await settle();
    // The failure reaches the loop (which retries, as a ListWatch of its own would).
    expect(() => watch.emit({ type: 'ADDED', object: obj('a', '11') })).toThrow('handler bug');
    expect(healthy.calls).toEqual(['replace:', 'upsert:h:a=x']);
    stop.abort();
    await Promise.all(running);
  });
});
