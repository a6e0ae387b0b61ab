import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from './client.js';
import { FakeKubeApi } from './testing/fake-api.js';
import { ListWatch, MAX_BACKOFF_MS, nextBackoff, type ListWatchHandler } from './list-watch.js';

interface Item {
  readonly name: string;
  readonly v: string;
}

const obj = (name: string, rv: string, v = 'x'): unknown => ({ metadata: { name, resourceVersion: rv }, v });
const transform = (raw: unknown): Item | undefined => {
  const o = raw as { metadata?: { name?: string }; v?: string };
  return o.metadata?.name === undefined ? undefined : { name: o.metadata.name, v: o.v ?? '' };
};

/** Records what the handler saw, as a map, plus the order of calls. */
function recorder(): ListWatchHandler<Item> & { items: Map<string, string>; calls: string[] } {
  const items = new Map<string, string>();
  const calls: string[] = [];
  return {
    items,
    calls,
    replace: (list) => {
      calls.push(`replace:${list.map((i) => i.name).join(',')}`);
      items.clear();
      for (const i of list) items.set(i.name, i.v);
    },
    upsert: (i) => {
      calls.push(`upsert:${i.name}`);
      items.set(i.name, i.v);
    },
    deleted: (i) => {
      calls.push(`deleted:${i.name}`);
      items.delete(i.name);
    },
  };
}

/** Runs a ListWatch until `until` holds, then aborts it; delays are recorded, never slept. */
async function runUntil(
  api: FakeKubeApi,
  handler: ListWatchHandler<Item>,
  until: () => boolean,
): Promise<number[]> {
  const delays: number[] = [];
  const stop = new AbortController();
  const lw = new ListWatch<Item>({
    api,
    path: '/api/v1/pods',
    transform,
    handler,
    pageSize: 2,
    random: () => 0,
    delay: (ms) => {
      delays.push(ms);
      if (until()) stop.abort();
      return Promise.resolve();
    },
  });
  const running = lw.run(stop.signal);
  // Sessions resolve on microtasks; poll the condition between them.
  for (let i = 0; i < 1_000 && !stop.signal.aborted; i++) {
    if (until()) stop.abort();
    await new Promise((resolve) => setImmediate(resolve));
  }
  stop.abort();
  await running;
  return delays;
}

describe('list-and-watch (client-go reflector contract)', () => {
  it('lists every page, then watches from the list’s resourceVersion with bookmarks', async () => {
    const api = new FakeKubeApi()
      .withList('/api/v1/pods', [[obj('a', '5'), obj('b', '6')], [obj('c', '7')]], '10')
      .withWatch((emit) => {
        emit({ type: 'ADDED', object: obj('d', '11') });
        emit({ type: 'MODIFIED', object: obj('a', '12', 'y') });
        emit({ type: 'DELETED', object: obj('b', '13') });
        emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } });
        return Promise.resolve();
      });
    const handler = recorder();
    await runUntil(api, handler, () => api.watches.length >= 2);
    expect(handler.calls).toEqual(['replace:a,b,c', 'upsert:d', 'upsert:a', 'deleted:b']);
    expect([...handler.items]).toEqual([
      ['a', 'y'],
      ['c', 'x'],
      ['d', 'x'],
    ]);
    expect(api.requests.map((r) => r.query)).toEqual([
      { limit: 2, continue: undefined },
      { limit: 2, continue: '1' },
    ]);
    expect(api.watches[0]).toEqual({ resourceVersion: '10', allowWatchBookmarks: true, timeoutSeconds: 300 });
    // A watch that ends is resumed from the last version seen (the bookmark's).
    expect(api.watches[1]).toMatchObject({ resourceVersion: '20' });
  });

  it('lists again when the watch says 410 Gone (resourceVersion too old)', async () => {
    const api = new FakeKubeApi()
      .withList('/api/v1/pods', [[obj('a', '5')]], '10')
      .withList('/api/v1/pods', [[obj('b', '30')]], '31')
      .withWatch(() => Promise.reject(new KubeApiError(410, 'Expired', 'too old resource version')));
    const handler = recorder();
    const delays = await runUntil(api, handler, () => api.watches.length >= 2);
    expect(handler.calls).toEqual(['replace:a', 'replace:b']);
    expect(api.watches[1]).toMatchObject({ resourceVersion: '31' });
    expect(delays).toEqual([]);
  });

  it('backs off exponentially on failures and resets after any event', async () => {
    const fail = (): Promise<void> => Promise.reject(new Error('connection refused'));
    const api = new FakeKubeApi()
      .withList('/api/v1/pods', [[]], '1')
      .withWatch(fail)
      .withWatch(fail)
      .withWatch(fail)
      .withWatch((emit) => {
        emit({ type: 'ADDED', object: obj('a', '2') });
        return Promise.reject(new Error('reset by peer'));
      });
    const delays = await runUntil(api, recorder(), () => api.watches.length >= 5);
    expect(delays).toEqual([1_000, 2_000, 4_000, 1_000]);
    expect(nextBackoff(20_000)).toBe(MAX_BACKOFF_MS);
  });

  it('does not reconnect in a tight loop when watches end at once without an event, and lists again (as client-go)', async () => {
    const empty = (): Promise<void> => Promise.resolve();
    const handler = recorder();
    const api = new FakeKubeApi()
      .withList('/api/v1/pods', [[]], '1')
      .withList('/api/v1/pods', [[obj('a', '2')]], '2')
      .withList('/api/v1/pods', [[obj('a', '2')]], '2')
      .withWatch(empty)
      .withWatch(empty);
    const delays = await runUntil(api, handler, () => api.watches.length >= 3);
    expect(delays).toEqual([1_000, 2_000]);
    // The object that only a list showed arrived through the relist.
    expect(handler.calls).toEqual(['replace:', 'replace:a', 'replace:a']);
    expect(api.watches.map((q) => q.resourceVersion)).toEqual(['1', '2', '2']);
  });

  it('retries a failed list after a delay', async () => {
    const api = new FakeKubeApi()
      .withFailure('GET', '/api/v1/pods', new KubeApiError(503, 'ServiceUnavailable', 'etcd down'))
      .withList('/api/v1/pods', [[obj('a', '1')]], '2');
    const handler = recorder();
    const delays = await runUntil(api, handler, () => handler.calls.length > 0);
    expect(delays).toEqual([1_000]);
    expect(handler.calls).toEqual(['replace:a']);
  });
});
