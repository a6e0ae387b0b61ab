import { describe, expect, it } from '@jest/globals';
import { FakeKubeApi } from '../../../kit/kubernetes/testing/fake-api.js';
import type { WatchEvent } from '../../../kit/kubernetes/client.js';
import { podInfoFrom } from './client.js';
import { PodCache } from './pod-cache.js';

const pod = (
  namespace: string,
  name: string,
  annotations: Record<string, string> = {},
  sa = 'default',
): unknown => ({
  metadata: { namespace, name, annotations, resourceVersion: '1', labels: { big: 'x'.repeat(100) } },
  spec: { serviceAccountName: sa, containers: [{ name: 'app', image: 'app' }] },
  status: { phase: 'Running' },
});

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('sentry §4: the validator’s Pod cache', () => {
  it('keeps only namespace, name, service account and the three dapr.io annotations', () => {
    expect(
      podInfoFrom(
        pod('ns', 'p', {
          'dapr.io/app-id': 'a',
          'dapr.io/config': 'c',
          'dapr.io/control-plane': 'sentry',
          'dapr.io/enabled': 'true',
          'kubectl.kubernetes.io/last-applied-configuration': '{…}',
        }),
      ),
    ).toEqual({
      namespace: 'ns',
      name: 'p',
      serviceAccountName: 'default',
      annotations: { 'dapr.io/app-id': 'a', 'dapr.io/config': 'c', 'dapr.io/control-plane': 'sentry' },
    });
    expect(podInfoFrom({ metadata: { name: 'no-namespace' } })).toBeUndefined();
    expect(podInfoFrom(null)).toBeUndefined();
  });

  it('is not ready until the first list is in, then follows the watch', async () => {
    let emit: ((e: WatchEvent) => void) | undefined;
    const api = new FakeKubeApi()
      .withList('/api/v1/pods', [[pod('default', 'a', { 'dapr.io/app-id': 'app-a' })]], '5')
      .withWatch(
        (onEvent, signal) =>
          new Promise((resolve) => {
            emit = onEvent;
            signal.addEventListener('abort', () => resolve(), { once: true });
          }),
      );
    const cache = new PodCache({ api, delay: () => Promise.resolve() });
    expect(cache.isReady()).toBe(false);
    const stop = new AbortController();
    const running = cache.run(stop.signal);
    await cache.whenReady();
    expect(cache.isReady()).toBe(true);
    expect(await cache.getPod('default', 'a')).toMatchObject({ annotations: { 'dapr.io/app-id': 'app-a' } });

    await settle();
    emit!({ type: 'ADDED', object: pod('default', 'b', {}, 'other') });
    emit!({ type: 'DELETED', object: pod('default', 'a') });
    expect(cache.size).toBe(1);
    expect(await cache.getPod('default', 'b')).toMatchObject({ serviceAccountName: 'other' });
    stop.abort();
    await running;
  });

  it('reads a Pod the watch has not delivered yet from the apiserver (and does not cache it)', async () => {
    const api = new FakeKubeApi()
      .withList('/api/v1/pods', [[]], '5')
      .withObject('/api/v1/namespaces/default/pods/new', pod('default', 'new') as Record<string, unknown>);
    const cache = new PodCache({ api });
    const stop = new AbortController();
    const running = cache.run(stop.signal);
    await cache.whenReady();
    expect(await cache.getPod('default', 'new')).toMatchObject({ name: 'new' });
    expect(await cache.getPod('default', 'gone')).toBeUndefined();
    expect(cache.size).toBe(0);
    stop.abort();
    await running;
  });

  it('reads Configurations directly; a missing one (or a missing CRD) is undefined', async () => {
    const path = '/apis/dapr.io/v1alpha1/namespaces/default/configurations';
    const api = new FakeKubeApi()
      .withObject(`${path}/withtd`, { spec: { accessControl: { trustDomain: 'example.com' } } })
      .withObject(`${path}/plain`, { spec: {} });
    const cache = new PodCache({ api });
    expect(await cache.getConfiguration('default', 'withtd')).toEqual({
      accessControlTrustDomain: 'example.com',
    });
    expect(await cache.getConfiguration('default', 'plain')).toEqual({});
    expect(await cache.getConfiguration('default', 'missing')).toBeUndefined();
  });
});
