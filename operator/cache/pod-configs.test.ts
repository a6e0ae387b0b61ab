import { describe, expect, it } from '@jest/globals';
import { PodConfigCache, podConfigOf } from './pod-configs.js';

const pod = (name: string, annotations: Record<string, string>, namespace = 'default'): unknown => ({
  metadata: { name, namespace, annotations, labels: { big: 'x'.repeat(100) } },
  spec: { containers: [{ name: 'app', image: 'img' }] },
});

describe("operator pod cache: the app's assigned Configuration (docs/contracts/operator.md §1.6 rule 6)", () => {
  it('keeps only Dapr-enabled pods that name a config; the app-id falls back to the pod name', () => {
    const cache = new PodConfigCache();
    cache.replace(
      [
        pod('plain-1', {}),
        pod('plain-2', { 'dapr.io/config': 'c' }), // not enabled
        pod('off', { 'dapr.io/enabled': 'false', 'dapr.io/app-id': 'x', 'dapr.io/config': 'c' }),
        pod('noconfig', { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'y' }),
        pod('with-id', {
          'dapr.io/enabled': 'TRUE',
          'dapr.io/app-id': 'orders',
          'dapr.io/config': 'tracing',
        }),
        pod('byname', { 'dapr.io/enabled': 'yes', 'dapr.io/config': 'other' }),
      ].map((p) => podConfigOf(p)!),
    );
    expect(cache.size).toBe(2);
    expect(cache.configFor('default', 'orders')).toBe('tracing');
    expect(cache.configFor('default', 'byname')).toBe('other');
    expect(cache.configFor('default', 'x')).toBeUndefined();
    expect(cache.configFor('default', 'y')).toBeUndefined();
    expect(cache.configFor('elsewhere', 'orders')).toBeUndefined();
  });

  it('a pod that loses its annotation, or is deleted, is forgotten', () => {
    const cache = new PodConfigCache();
    const enabled = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'a', 'dapr.io/config': 'c' };
    cache.replace([podConfigOf(pod('p1', enabled))!, podConfigOf(pod('p2', enabled))!]);
    cache.upsert(podConfigOf(pod('p1', {}))!);
    expect(cache.size).toBe(1);
    cache.deleted(podConfigOf(pod('p2', enabled))!);
    expect(cache.size).toBe(0);
    expect(cache.configFor('default', 'a')).toBeUndefined();
  });

  it('10 000 non-Dapr pods leave nothing behind', () => {
    const cache = new PodConfigCache();
    const items = Array.from({ length: 10_000 }, (_, i) => podConfigOf(pod(`p${i}`, { unrelated: 'x' }))!);
    cache.replace(items);
    expect(cache.size).toBe(0);
    for (const i of items) cache.upsert(i);
    expect(cache.size).toBe(0);
  });
});
