import { describe, expect, it } from '@jest/globals';
import { DAPR_KINDS, collectionPath } from './kinds.js';
import { ResourceCache, type Change, type KubeObject } from './resource-cache.js';

function component(
  name: string,
  rv: string,
  namespace = 'default',
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace, resourceVersion: rv },
    spec: { type: 'state.redis', version: 'v1', metadata: [] },
    ...extra,
  };
}

function recorded(cache: ResourceCache): Change[] {
  const changes: Change[] = [];
  cache.subscribe((c) => changes.push(c));
  return changes;
}

describe('operator cache: only real changes become events (docs/contracts/operator.md §1.6, §8)', () => {
  it('the first list is a snapshot, not a burst of events, and marks the cache synced', async () => {
    const cache = new ResourceCache(DAPR_KINDS.component);
    const changes = recorded(cache);
    expect(cache.synced).toBe(false);
    cache.replace([component('a', '1'), component('b', '2')]);
    await cache.whenSynced();
    expect(cache.synced).toBe(true);
    // Nobody listens before the first list in the server (streams open later); but a listener
    // attached early does see the objects appear, as ADDED.
    expect(changes.map((c) => [c.type, c.object.metadata.name])).toEqual([
      ['ADDED', 'a'],
      ['ADDED', 'b'],
    ]);
    expect(cache.list('default').map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('an upsert with the resourceVersion already held (resync) is dropped', () => {
    const cache = new ResourceCache(DAPR_KINDS.component);
    cache.replace([component('a', '1')]);
    const changes = recorded(cache);
    cache.upsert(component('a', '1'));
    expect(changes).toEqual([]);
    cache.upsert(component('a', '5'));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ type: 'MODIFIED', old: { metadata: { resourceVersion: '1' } } });
  });

  it('a relist after 410 Gone emits only what changed while the watch was away', () => {
    const cache = new ResourceCache(DAPR_KINDS.component);
    cache.replace([component('same', '1'), component('changed', '2'), component('gone', '3')]);
    const changes = recorded(cache);
    cache.replace([component('same', '1'), component('changed', '9'), component('new', '10')]);
    expect(changes.map((c) => [c.type, c.object.metadata.name])).toEqual([
      ['MODIFIED', 'changed'],
      ['ADDED', 'new'],
      ['DELETED', 'gone'],
    ]);
    expect(changes[2]!.object.metadata.resourceVersion).toBe('3');
  });

  it('a delete of an unknown object is no news; a delete carries the last known object', () => {
    const cache = new ResourceCache(DAPR_KINDS.component);
    cache.replace([component('a', '1', 'default', { scopes: ['x'] })]);
    const changes = recorded(cache);
    cache.deleted(component('zzz', '4'));
    expect(changes).toEqual([]);
    cache.deleted({ ...component('a', ''), metadata: { name: 'a', namespace: 'default' } });
    expect(changes[0]).toMatchObject({ type: 'DELETED', object: { scopes: ['x'] } });
    expect(cache.size).toBe(0);
  });

  it('namespaces are kept apart', () => {
    const cache = new ResourceCache(DAPR_KINDS.component);
    cache.replace([component('a', '1', 'one'), component('a', '2', 'two')]);
    expect(cache.list('one')).toHaveLength(1);
    expect(cache.get('two', 'a')?.metadata.resourceVersion).toBe('2');
    expect(cache.list('three')).toEqual([]);
  });

  it('transform fills apiVersion/kind and keeps every other field as given', () => {
    const cache = new ResourceCache(DAPR_KINDS.subscription);
    const raw = {
      metadata: { name: 's', namespace: 'n' },
      spec: { routes: { default: '/x' } },
      scopes: ['a'],
    };
    expect(cache.transform(raw)).toEqual({ ...raw, apiVersion: 'dapr.io/v2alpha1', kind: 'Subscription' });
    expect(cache.transform({ metadata: {} })).toBeUndefined();
  });

  it('collection paths: cluster-wide, or one namespace; subscriptions at v2alpha1', () => {
    expect(collectionPath(DAPR_KINDS.subscription, '')).toBe('/apis/dapr.io/v2alpha1/subscriptions');
    expect(collectionPath(DAPR_KINDS.workflowAccessPolicy, 'ns')).toBe(
      '/apis/dapr.io/v1alpha1/namespaces/ns/workflowaccesspolicies',
    );
  });
});
