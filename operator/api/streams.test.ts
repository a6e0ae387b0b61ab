import { describe, expect, it } from '@jest/globals';
import { DAPR_KINDS } from '../cache/kinds.js';
import { ResourceCache, type KubeObject } from '../cache/resource-cache.js';
import { decodeEvent, ResourceEventType } from '../proto/operator.js';
import type { SecretReader } from './secrets.js';
import { KindBroadcaster, StreamWatcher, type StreamSink } from './streams.js';

class RecordingSink implements StreamSink {
  readonly messages: { type: number; name: string; rv: string }[] = [];
  ended = false;
  write(message: Buffer): boolean {
    const event = decodeEvent(message);
    const o = JSON.parse(event.object.toString()) as KubeObject;
    this.messages.push({ type: event.type, name: o.metadata.name, rv: o.metadata.resourceVersion ?? '' });
    return true;
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  end(): void {
    this.ended = true;
  }
}

const comp = (
  name: string,
  rv: string,
  extra: Record<string, unknown> = {},
  namespace = 'default',
): KubeObject => ({
  apiVersion: 'dapr.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace, resourceVersion: rv },
  spec: {
    type: 'state.redis',
    version: 'v1',
    metadata: [{ name: 'p', secretKeyRef: { name: 'sec', key: 'k' } }],
  },
  ...extra,
});

function setup(read: SecretReader): { cache: ResourceCache; broadcaster: KindBroadcaster } {
  const cache = new ResourceCache(DAPR_KINDS.component);
  cache.replace([]);
  return { cache, broadcaster: new KindBroadcaster(cache, read) };
}

describe('operator streams (docs/contracts/operator.md §1.6)', () => {
  it('nothing on connect; changes in order; other namespaces and resyncs never reach the stream', async () => {
    const { cache, broadcaster } = setup(() => Promise.resolve({ k: 'dg==' }));
    cache.upsert(comp('before', '1'));
    const sink = new RecordingSink();
    const watcher = new StreamWatcher('app', undefined, sink);
    broadcaster.add('default', watcher);
    await watcher.idle();
    expect(sink.messages).toEqual([]);

    cache.upsert(comp('a', '2'));
    cache.upsert(comp('a', '2')); // resync
    cache.upsert(comp('x', '3', {}, 'other'));
    cache.upsert(comp('a', '4'));
    cache.deleted(comp('a', '5'));
    await watcher.idle();
    expect(sink.messages).toEqual([
      { type: ResourceEventType.CREATED, name: 'a', rv: '2' },
      { type: ResourceEventType.UPDATED, name: 'a', rv: '4' },
      { type: ResourceEventType.DELETED, name: 'a', rv: '5' },
    ]);
  });

  it('each change is resolved once per namespace, however many sidecars watch', async () => {
    let reads = 0;
    const { cache, broadcaster } = setup(() => {
      reads++;
      return Promise.resolve({ k: 'dg==' });
    });
    const sinks = Array.from({ length: 50 }, () => new RecordingSink());
    const watchers = sinks.map((s, i) => new StreamWatcher(`app${i}`, undefined, s));
    watchers.forEach((w) => broadcaster.add('default', w));
    cache.upsert(comp('a', '2'));
    await Promise.all(watchers.map((w) => w.idle()));
    expect(reads).toBe(1);
    expect(sinks.every((s) => s.messages.length === 1)).toBe(true);
    expect(broadcaster.watcherCount).toBe(50);
  });

  it('scope changes reach each app as CREATED/DELETED', async () => {
    const { cache, broadcaster } = setup(() => Promise.resolve({ k: 'dg==' }));
    const [a, b] = [new RecordingSink(), new RecordingSink()];
    const wa = new StreamWatcher('a', undefined, a);
    const wb = new StreamWatcher('b', undefined, b);
    broadcaster.add('default', wa);
    broadcaster.add('default', wb);
    cache.upsert(comp('c', '1', { scopes: ['a'] }));
    cache.upsert(comp('c', '2', { scopes: ['b'] }));
    await Promise.all([wa.idle(), wb.idle()]);
    expect(a.messages).toEqual([
      { type: ResourceEventType.CREATED, name: 'c', rv: '1' },
      { type: ResourceEventType.DELETED, name: 'c', rv: '1' },
    ]);
    expect(b.messages).toEqual([{ type: ResourceEventType.CREATED, name: 'c', rv: '2' }]);
  });

  it('a secret that cannot be read ends that stream (OK) without sending', async () => {
    const { cache, broadcaster } = setup(() => Promise.reject(new Error('secrets "sec" not found')));
    const sink = new RecordingSink();
    const watcher = new StreamWatcher('app', undefined, sink);
    broadcaster.add('default', watcher);
    cache.upsert(comp('a', '1'));
    await watcher.idle();
    expect(sink.messages).toEqual([]);
    expect(sink.ended).toBe(true);
    expect(watcher.closed).toBe(true);
  });

  it('ConfigurationUpdate-style watchers see only their one name; removal stops delivery', async () => {
    const { cache, broadcaster } = setup(() => Promise.resolve({ k: 'dg==' }));
    const sink = new RecordingSink();
    const watcher = new StreamWatcher('app', 'mine', sink);
    const remove = broadcaster.add('default', watcher);
    cache.upsert(comp('other', '1'));
    cache.upsert(comp('mine', '2'));
    await watcher.idle();
    remove();
    cache.upsert(comp('mine', '3'));
    await watcher.idle();
    expect(sink.messages).toEqual([{ type: ResourceEventType.CREATED, name: 'mine', rv: '2' }]);
    expect(broadcaster.watcherCount).toBe(0);
  });

  it('a slow client is waited for (drain) without reordering or dropping', async () => {
    const { cache, broadcaster } = setup(() => Promise.resolve({ k: 'dg==' }));
    const written: string[] = [];
    let release: (() => void) | undefined;
    const sink: StreamSink = {
      write: (message) => {
        const o = JSON.parse(decodeEvent(message).object.toString()) as KubeObject;
        written.push(o.metadata.resourceVersion ?? '');
        return written.length !== 1; // the first write fills the buffer
      },
      drained: () => new Promise<void>((resolve) => (release = resolve)),
      end: () => undefined,
    };
    const watcher = new StreamWatcher('app', undefined, sink);
    broadcaster.add('default', watcher);
    cache.upsert(comp('a', '1'));
    cache.upsert(comp('a', '2'));
    cache.upsert(comp('a', '3'));
    await new Promise((r) => setTimeout(r, 10));
    expect(written).toEqual(['1']); // held until the client drains
    release!();
    await watcher.idle();
    expect(written).toEqual(['1', '2', '3']);
  });
});
