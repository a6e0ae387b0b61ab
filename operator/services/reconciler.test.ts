import { describe, expect, it } from '@jest/globals';
import { KubeApiError, type Query, type WatchEvent } from '../../kit/kubernetes/client.js';
import { FakeKubeApi, type WatchSession } from '../../kit/kubernetes/testing/fake-api.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import type { OperatorMetrics } from '../metrics.js';
import { desiredService, type DaprWorkload } from './desired-service.js';
import { ServiceReconciler } from './reconciler.js';
import { DEPLOYMENT, STATEFUL_SET } from './workloads.js';

/** The fake, with watch sessions per collection path (the reconciler runs three watches). */
class RoutedFake extends FakeKubeApi {
  readonly sessions = new Map<string, WatchSession[]>();

  on(path: string, session: WatchSession): this {
    this.sessions.set(path, [...(this.sessions.get(path) ?? []), session]);
    return this;
  }

  override watch(
    path: string,
    query: Query,
    onEvent: (e: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const session = this.sessions.get(path)?.shift();
    if (session !== undefined) return session(onEvent, signal);
    return super.watch(path, query, onEvent, signal);
  }
}

function recorder(): OperatorMetrics & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    serviceCreated: (id) => events.push(`created:${id}`),
    serviceUpdated: (id) => events.push(`updated:${id}`),
    serviceDeleted: (id) => events.push(`deleted:${id}`),
  };
}

function deployment(
  name: string,
  annotations: Record<string, string>,
  kind = 'Deployment',
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, resourceVersion: '1' },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { annotations: { unrelated: 'x'.repeat(100), ...annotations } } },
    },
  };
}

const dapr = (appId: string): Record<string, string> => ({
  'dapr.io/enabled': 'true',
  'dapr.io/app-id': appId,
});

/** What the apiserver would hold after a correct reconcile of this workload. */
function storedService(name: string, appId: string): Record<string, unknown> {
  const workload: DaprWorkload = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'shop',
    name,
    uid: `uid-${name}`,
    matchLabels: { app: name },
    annotations: dapr(appId),
  };
  const result = desiredService(workload);
  if ('error' in result) throw new Error(result.error);
  const svc = result.service;
  return {
    ...svc,
    metadata: {
      ...svc.metadata,
      resourceVersion: '5',
      uid: 'svc-uid',
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
    spec: {
      ...svc.spec,
      clusterIPs: ['None'],
      ipFamilies: ['IPv4'],
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not reached');
}

describe('ServiceReconciler', () => {
  it('creates missing Services, leaves correct ones alone, skips non-Dapr workloads and invalid app ids', async () => {
    const api = new RoutedFake()
      .withList('/api/v1/services', [[storedService('a', 'a')]])
      .withObject('/api/v1/namespaces/shop/services/a-dapr', storedService('a', 'a'))
      .withList('/apis/apps/v1/deployments', [
        [
          deployment('a', dapr('a')),
          deployment('b', dapr('b')),
          deployment('c', { 'dapr.io/enabled': 'false', 'dapr.io/app-id': 'c' }),
        ],
        [deployment('d', dapr('Not_Valid')), deployment('e', {})],
      ])
      .withList('/apis/apps/v1/statefulsets', [[deployment('s', dapr('s'), 'StatefulSet')]]);
    const metrics = recorder();
    const log = recordingLogger();
    const counts: number[] = [];
    const reconciler = new ServiceReconciler({
      api,
      kinds: [DEPLOYMENT, STATEFUL_SET],
      namespace: '',
      metrics,
      log,
      onWorkloadCount: (n) => counts.push(n),
    });
    const controller = new AbortController();
    const running = reconciler.run(controller.signal);
    await until(() => metrics.events.length === 2 && log.lines.some((l) => l.level === 'error'));
    await reconciler.whenIdle();

    expect(metrics.events.sort()).toEqual(['created:b', 'created:s']);
    const posts = api.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.path)).toEqual([
      '/api/v1/namespaces/shop/services',
      '/api/v1/namespaces/shop/services',
    ]);
    const statefulSvc = api.object('/api/v1/namespaces/shop/services/s-dapr') as {
      metadata: { ownerReferences: { kind: string }[] };
    };
    expect(statefulSvc.metadata.ownerReferences[0]!.kind).toBe('StatefulSet');
    expect(api.object('/api/v1/namespaces/shop/services/c-dapr')).toBeUndefined();
    expect(api.requests.some((r) => r.method === 'PUT')).toBe(false);
    expect(log.lines.find((l) => l.level === 'error')?.msg).toMatch(/Deployment\/shop\/d.*invalid app id/);
    // a, b, d (invalid but Dapr-enabled) and s: the non-Dapr c and e are not kept
    expect(reconciler.workloadCount).toBe(4);
    expect(counts.at(-1)).toBe(4);
    // The Services watch is label-selected
    expect(api.requests.find((r) => r.path === '/api/v1/services')?.query.labelSelector).toBe(
      'dapr.io/enabled=true',
    );
    controller.abort();
    await running;
    expect(counts.at(-1)).toBe(0);
  });

  it('replaces a Service that differs, keeping its resourceVersion, and recreates a deleted one', async () => {
    const edited = storedService('a', 'a') as { metadata: Record<string, unknown> };
    edited.metadata = { ...edited.metadata, labels: { 'dapr.io/enabled': 'true', mine: 'x' } };
    let emit: ((e: WatchEvent) => void) | undefined;
    const api = new RoutedFake()
      .withList('/api/v1/services', [[edited]])
      .withObject('/api/v1/namespaces/shop/services/a-dapr', edited)
      .on('/api/v1/services', (onEvent, signal) => {
        emit = onEvent;
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve()));
      })
      .withList('/apis/apps/v1/deployments', [[deployment('a', dapr('a'))]]);
    const metrics = recorder();
    const reconciler = new ServiceReconciler({
      api,
      kinds: [DEPLOYMENT],
      namespace: '',
      metrics,
      log: recordingLogger(),
    });
    const before = api.object('/api/v1/namespaces/shop/services/a-dapr') as {
      metadata: { resourceVersion: string };
    };
    const controller = new AbortController();
    const running = reconciler.run(controller.signal);
    await until(() => metrics.events.length === 1);
    const put = api.requests.find((r) => r.method === 'PUT')!;
    expect(put.path).toBe('/api/v1/namespaces/shop/services/a-dapr');
    const body = put.body as { metadata: { resourceVersion: string; labels: unknown } };
    expect(body.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(body.metadata.labels).toEqual({ 'dapr.io/enabled': 'true' });
    expect(metrics.events).toEqual(['updated:a']);

    // A correct Service event causes nothing; a deletion causes a create.
    await until(() => emit !== undefined);
    emit!({ type: 'MODIFIED', object: storedService('a', 'a') });
    await reconciler.whenIdle();
    expect(metrics.events).toEqual(['updated:a']);
    const stored = api.object('/api/v1/namespaces/shop/services/a-dapr')!;
    // (the fake has no DELETE: drop it by answering the next GET with 404)
    api.withFailure(
      'GET',
      '/api/v1/namespaces/shop/services/a-dapr',
      new KubeApiError(404, 'NotFound', 'gone'),
    );
    api.withAnswer('POST', '/api/v1/namespaces/shop/services', stored);
    emit!({ type: 'DELETED', object: stored });
    await until(() => metrics.events.length === 2);
    expect(metrics.events).toEqual(['updated:a', 'created:a']);
    controller.abort();
    await running;
  });

  it('retries a failed write with backoff', async () => {
    const timers: number[] = [];
    const api = new RoutedFake()
      .withList('/api/v1/services', [[]])
      .withList('/apis/apps/v1/deployments', [[deployment('a', dapr('a'))]])
      .withFailure('POST', '/api/v1/namespaces/shop/services', new Error('connection reset'));
    const metrics = recorder();
    const reconciler = new ServiceReconciler({
      api,
      kinds: [DEPLOYMENT],
      namespace: '',
      metrics,
      log: recordingLogger(),
      setTimer: (fn, ms) => {
        timers.push(ms);
        queueMicrotask(fn);
        return { cancel: () => undefined };
      },
    });
    const controller = new AbortController();
    const running = reconciler.run(controller.signal);
    await until(() => metrics.events.length === 1);
    expect(timers).toEqual([1000]);
    expect(metrics.events).toEqual(['created:a']);
    controller.abort();
    await running;
  });

  it('watches one namespace with --watch-namespace', async () => {
    const api = new RoutedFake()
      .withList('/api/v1/namespaces/shop/services', [[]])
      .withList('/apis/apps/v1/namespaces/shop/deployments', [[]]);
    const reconciler = new ServiceReconciler({
      api,
      kinds: [DEPLOYMENT],
      namespace: 'shop',
      metrics: recorder(),
      log: recordingLogger(),
    });
    const controller = new AbortController();
    const running = reconciler.run(controller.signal);
    await until(() => api.requests.some((r) => r.path === '/apis/apps/v1/namespaces/shop/deployments'));
    controller.abort();
    await running;
    expect(api.requests.map((r) => r.path)).toEqual([
      '/api/v1/namespaces/shop/services',
      '/apis/apps/v1/namespaces/shop/deployments',
    ]);
  });
});
