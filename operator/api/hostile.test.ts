// Streams under a client that stops reading (issue 15, docs/operator.md Limits): its watcher is
// ended once MAX_QUEUED_EVENTS wait, and the other sidecars of the namespace keep their events.
import { describe, expect, it } from '@jest/globals';
import { DAPR_KINDS } from '../cache/kinds.js';
import { ResourceCache, type KubeObject } from '../cache/resource-cache.js';
import { liveBytes, reportMeasurement } from '../../kit/testing/hostile.js';
import { KindBroadcaster, MAX_QUEUED_EVENTS, StreamWatcher, type StreamSink } from './streams.js';

/** A client that never reads: every write reports a full buffer and nothing ever drains. */
class StalledSink implements StreamSink {
  writes = 0;
  ended = false;
  write(): boolean {
    this.writes++;
    return false;
  }
  /** Held like a real stream's 'drain' listeners, so what waits on them stays alive. */
  readonly waiting: (() => void)[] = [];
  drained(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  end(): void {
    this.ended = true;
  }
}

class ReadingSink implements StreamSink {
  received = 0;
  ended = false;
  write(): boolean {
    this.received++;
    return true;
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  end(): void {
    this.ended = true;
  }
}

const component = (name: string, rv: number, padding = ''): KubeObject => ({
  apiVersion: 'dapr.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', resourceVersion: String(rv) },
  spec: { type: 'state.redis', version: 'v1', metadata: [{ name: 'p', value: padding }] },
});

function setup(): { cache: ResourceCache; broadcaster: KindBroadcaster } {
  const cache = new ResourceCache(DAPR_KINDS.component);
  cache.replace([]);
  return { cache, broadcaster: new KindBroadcaster(cache, () => Promise.resolve({})) };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('operator streams with a client that stops reading (issue 15)', () => {
  it('ends the stream once MAX_QUEUED_EVENTS wait, and never holds more', async () => {
    const { cache, broadcaster } = setup();
    const sink = new StalledSink();
    const watcher = new StreamWatcher('slow', undefined, sink);
    broadcaster.add('default', watcher);
    let most = 0;
    for (let i = 1; i <= MAX_QUEUED_EVENTS * 3; i++) {
      cache.upsert(component('c', i));
      most = Math.max(most, watcher.queued);
      if (i % 10 === 0) await settle();
    }
    await settle();
    expect(sink.ended).toBe(true);
    expect(watcher.closed).toBe(true);
    expect(most).toBeLessThanOrEqual(MAX_QUEUED_EVENTS);
    expect(sink.writes).toBe(1); // the first write never drained
  });

  it('hostile load: 50 stalled clients and 256 KiB events; the reading sidecar gets every event, memory stays bounded', async () => {
    const { cache, broadcaster } = setup();
    const stalled = Array.from({ length: 50 }, () => new StalledSink());
    stalled.forEach((s, i) => broadcaster.add('default', new StreamWatcher(`slow${i}`, undefined, s)));
    const honest = new ReadingSink();
    broadcaster.add('default', new StreamWatcher('honest', undefined, honest));
    const padding = 'x'.repeat(256 * 1024);
    const before = liveBytes();
    const events = MAX_QUEUED_EVENTS * 4;
    const latencies: number[] = [];
    for (let i = 1; i <= events; i++) {
      const start = performance.now();
      const received = honest.received;
      cache.upsert(component(`c${i % 7}`, i, `${padding}${i}`));
      while (honest.received === received) await settle();
      latencies.push(performance.now() - start);
    }
    expect(honest.received).toBe(events);
    expect(honest.ended).toBe(false);
    expect(stalled.every((s) => s.ended)).toBe(true);
    expect(broadcaster.watcherCount).toBe(51); // removal is the server's job; they no longer queue
    latencies.sort((a, b) => a - b);
    reportMeasurement('operator honest event, p99', latencies[Math.floor(latencies.length * 0.99)]!, 'ms');
    expect(latencies[Math.floor(latencies.length * 0.99)]).toBeLessThan(100);
    await settle();
    const grown = liveBytes() - before;
    reportMeasurement('operator memory growth', grown / 1048576, 'MiB');
    // Unbounded queues would keep all 400 encoded events (~100 MiB) alive; bounded ones keep
    // none once every stalled stream has ended.
    expect(grown).toBeLessThan(MAX_QUEUED_EVENTS * 256 * 1024);
  }, 30_000);
});
