import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from './client.js';
import { EventRecorder, MAX_MESSAGE_CHARS, type EventRecord, type EventRecorderOptions } from './events.js';
import { FakeEventsApi } from './testing/fake-events.js';
import { recordingLogger } from '../testing/logger.js';

const rs = (name: string, uid = `uid-${name}`): EventRecord['object'] => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  namespace: 'default',
  name,
  uid,
});

const declined = (name = 'orders-5d8f'): EventRecord => ({
  object: rs(name),
  type: 'Warning',
  reason: 'DaprInjectionCallerNotAllowed',
  message: `pod ${name}-* got no daprd`,
});

function setup(over: Partial<EventRecorderOptions> = {}): {
  api: FakeEventsApi;
  recorder: EventRecorder;
  clock: { now: number };
} {
  const api = new FakeEventsApi();
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const recorder = new EventRecorder({
    api,
    component: 'dapr-sidecar-injector',
    now: () => clock.now,
    log: recordingLogger(),
    ...over,
  });
  return { api, recorder, clock };
}

describe('EventRecorder', () => {
  it('writes one Warning Event with the object, reason, message, source and count 1', async () => {
    const { api, recorder } = setup();
    recorder.record(declined());
    await recorder.whenIdle();
    const [event] = api.about('orders-5d8f');
    expect(event).toMatchObject({
      involvedObject: {
        kind: 'ReplicaSet',
        name: 'orders-5d8f',
        uid: 'uid-orders-5d8f',
        namespace: 'default',
      },
      reason: 'DaprInjectionCallerNotAllowed',
      type: 'Warning',
      count: 1,
      source: { component: 'dapr-sidecar-injector' },
    });
    expect(event!.metadata.name).toMatch(/^orders-5d8f\.[0-9a-f]+$/);
  });

  it('a retry loop of 10,000 identical declines makes a bounded number of API calls, with the count kept', async () => {
    const { api, recorder, clock } = setup();
    for (let i = 0; i < 10_000; i++) {
      recorder.record(declined());
      clock.now += 20; // 200 s in all: a controller retrying fast
      if (i % 1000 === 0) await recorder.whenIdle();
    }
    await recorder.whenIdle();
    // One create, then at most one patch per minute (rewriteAfterMs) of the 200 s.
    expect(api.writes).toBeGreaterThanOrEqual(2);
    expect(api.writes).toBeLessThanOrEqual(1 + Math.ceil(200 / 60));
    const events = api.about('orders-5d8f');
    expect(events).toHaveLength(1);
    // The count lags by at most one rewrite interval's occurrences (60 s / 20 ms = 3,000).
    expect(events[0]!.count).toBeGreaterThanOrEqual(10_000 - 3_000);
    expect(events[0]!.count).toBeLessThanOrEqual(10_000);
    expect(recorder.stats.recorded).toBe(10_000);
  });

  it('10,000 distinct objects at once: the queue and the table stay bounded, the rest is dropped and counted', async () => {
    const log = recordingLogger();
    const { api, recorder } = setup({ maxQueue: 64, maxTracked: 500, burst: 10_000, log });
    for (let i = 0; i < 10_000; i++) recorder.record(declined(`app-${i}`));
    expect(recorder.trackedCount).toBe(500);
    await recorder.whenIdle();
    expect(api.writes).toBe(64);
    expect(recorder.stats.dropped).toBe(10_000 - 64);
    expect(log.lines.some((l) => l.level === 'warn' && l.msg.includes('Event queue full'))).toBe(true);
  });

  it('writes no faster than the rate once the burst is spent', async () => {
    const { api, recorder, clock } = setup({ burst: 2, ratePerSecond: 20 });
    for (let i = 0; i < 3; i++) recorder.record(declined(`app-${i}`));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.writes).toBe(2); // the third waits for a token (the test's clock stands still)
    clock.now += 50;
    await recorder.whenIdle();
    expect(api.writes).toBe(3);
  });

  it('never throws and never waits in record(): a failed write is logged and counted', async () => {
    const log = recordingLogger();
    const { api, recorder } = setup({ log });
    api.failNext = { count: 1, error: new KubeApiError(403, 'Forbidden', 'events is forbidden') };
    expect(() => recorder.record(declined())).not.toThrow();
    await recorder.whenIdle();
    expect(recorder.stats.failed).toBe(1);
    expect(log.lines.some((l) => l.level === 'warn' && l.msg.includes('events is forbidden'))).toBe(true);
  });

  it('writes a new Event when the aggregated one has expired (the patch finds none)', async () => {
    const { api, recorder, clock } = setup();
    recorder.record(declined());
    await recorder.whenIdle();
    api.events.clear(); // the apiserver's TTL removed it
    clock.now += 120_000;
    recorder.record(declined());
    await recorder.whenIdle();
    const events = api.about('orders-5d8f');
    expect(events).toHaveLength(1);
    expect(events[0]!.count).toBe(1);
  });

  it('cuts a message to the 1 KiB events.k8s.io allows', async () => {
    const { api, recorder } = setup();
    recorder.record({ ...declined(), message: 'x'.repeat(5000) });
    await recorder.whenIdle();
    expect([...api.about('orders-5d8f')][0]!.message).toHaveLength(MAX_MESSAGE_CHARS);
  });

  it('after a restart, continues an Event it wrote within the window instead of writing another', async () => {
    const first = setup({ adoptExisting: true, rewriteAfterMs: 3_600_000, component: 'dapr-operator' });
    first.recorder.record(declined());
    await first.recorder.whenIdle();
    // A new process (a new leader) sees the same object 10 minutes later.
    const clock = { now: first.clock.now + 600_000 };
    const second = new EventRecorder({
      api: first.api,
      component: 'dapr-operator',
      now: () => clock.now,
      adoptExisting: true,
      rewriteAfterMs: 3_600_000,
    });
    for (let i = 0; i < 100; i++) second.record(declined());
    await second.whenIdle();
    expect(first.api.about('orders-5d8f')).toHaveLength(1);
    expect(first.api.writes).toBe(1); // only the first process's create
    // An hour after the Event was written, the next occurrence updates its count.
    clock.now += 3_600_000;
    second.record(declined());
    await second.whenIdle();
    expect(first.api.about('orders-5d8f')).toHaveLength(1);
    expect(first.api.about('orders-5d8f')[0]!.count).toBe(101);
  });

  it('does not adopt an Event another component wrote', async () => {
    const first = setup({ component: 'someone-else' });
    first.recorder.record(declined());
    await first.recorder.whenIdle();
    const second = new EventRecorder({ api: first.api, component: 'dapr-operator', adoptExisting: true });
    second.record(declined());
    await second.whenIdle();
    expect(first.api.about('orders-5d8f')).toHaveLength(2);
  });
});
