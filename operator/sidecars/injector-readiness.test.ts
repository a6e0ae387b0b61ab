// The injector read behind DaprSidecarMissing's cause: one bounded list, shared for a few seconds.
import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../../kit/kubernetes/client.js';
import { FakeKubeApi } from '../../kit/kubernetes/testing/fake-api.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import { InjectorReadinessReader } from './injector-readiness.js';

const PATH = '/api/v1/namespaces/dapr-system/pods';
const readyPod = (since: string): unknown => ({
  metadata: { name: 'dapr-sidecar-injector-a' },
  status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: since }] },
});

function reader(api: FakeKubeApi, clock: { now: number }): InjectorReadinessReader {
  return new InjectorReadinessReader({
    api,
    namespace: 'dapr-system',
    log: recordingLogger(),
    now: () => clock.now,
  });
}

describe('InjectorReadinessReader', () => {
  it('lists the injector pods of the control-plane namespace by label, bounded', async () => {
    const api = new FakeKubeApi().withList(PATH, [[readyPod('2026-03-01T10:00:00Z')]]);
    const r = reader(api, { now: 0 });
    expect(await r.read()).toEqual({ state: 'ready', since: Date.parse('2026-03-01T10:00:00Z') });
    expect(api.requests).toEqual([
      expect.objectContaining({
        method: 'GET',
        path: PATH,
        query: { labelSelector: 'app in (dapr-sidecar-injector,dapr-control-plane)', limit: 100 },
      }),
    ]);
  });

  it('callers within 5 s share one read, also while it is under way; later ones read again', async () => {
    const api = new FakeKubeApi().withList(PATH, [[]]).withList(PATH, [[readyPod('2026-03-01T10:00:00Z')]]);
    const clock = { now: 1_000 };
    const r = reader(api, clock);
    const [a, b] = await Promise.all([r.read(), r.read()]);
    clock.now += 4_999;
    const c = await r.read();
    expect([a, b, c]).toEqual(Array(3).fill({ state: 'none-ready', namespace: 'dapr-system' }));
    expect(api.requests).toHaveLength(1);
    clock.now += 1;
    expect((await r.read()).state).toBe('ready');
    expect(api.requests).toHaveLength(2);
  });

  it('a failed read is unknown, never a rejection, and is logged', async () => {
    const api = new FakeKubeApi().withFailure(
      'GET',
      PATH,
      new KubeApiError(403, 'Forbidden', 'pods is forbidden'),
    );
    const log = recordingLogger();
    const r = new InjectorReadinessReader({ api, namespace: 'dapr-system', log });
    expect(await r.read()).toEqual({ state: 'unknown' });
    expect(log.lines.some((l) => l.msg.includes('pods is forbidden'))).toBe(true);
  });
});
