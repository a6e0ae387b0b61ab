import { describe, expect, it } from '@jest/globals';
import { FakeKubeApi } from '../../kit/kubernetes/testing/fake-api.js';
import { waitFor } from '../../kit/testing/wait.js';
import { Informers } from './informers.js';
import { collectionPath, DAPR_KINDS, KIND_KEYS } from './kinds.js';

function health(): { readonly state: { ready: boolean }; ready(): void; notReady(): void; name: string } {
  const state = { ready: false };
  return {
    state,
    name: 'operator-cache',
    ready: () => (state.ready = true),
    notReady: () => (state.ready = false),
  };
}

describe('operator informers (docs/contracts/operator.md §5.2)', () => {
  it('become ready once all seven kinds and the pods have listed; objects land in the caches', async () => {
    const api2 = new FakeKubeApi();
    for (const key of KIND_KEYS)
      api2.withList(
        collectionPath(DAPR_KINDS[key], ''),
        key === 'component'
          ? [[{ metadata: { name: 'c', namespace: 'ns', resourceVersion: '5' }, spec: {} }]]
          : [[]],
        '10',
      );
    api2.withList('/api/v1/pods', [
      [
        {
          metadata: {
            name: 'p',
            namespace: 'ns',
            annotations: { 'dapr.io/enabled': 'true', 'dapr.io/config': 'cfg' },
          },
        },
      ],
    ]);
    const h = health();
    const informers = new Informers({ api: api2, watchNamespace: '', health: h });
    const stop = new AbortController();
    const running = informers.run(stop.signal);
    await waitFor(() => h.state.ready, { what: 'the caches to sync', timeoutMs: 5_000, intervalMs: 5 });
    expect(informers.synced).toBe(true);
    expect(informers.resources.component.get('ns', 'c')?.kind).toBe('Component');
    expect(informers.pods.configFor('ns', 'p')).toBe('cfg');
    stop.abort();
    await running;
    expect(h.state.ready).toBe(false);
  });

  it('a missing MCPServer or WorkflowAccessPolicy CRD is an empty list (as upstream), not a cache that never syncs', async () => {
    const api = new FakeKubeApi();
    for (const key of KIND_KEYS) {
      if (key === 'mcpServer' || key === 'workflowAccessPolicy') continue; // 404
      api.withList(collectionPath(DAPR_KINDS[key], ''), [[]], '10');
    }
    api.withList('/api/v1/pods', [[]]);
    const informers = new Informers({ api, watchNamespace: '' });
    const stop = new AbortController();
    const running = informers.run(stop.signal);
    await informers.whenSynced();
    expect(informers.resources.mcpServer.list('ns')).toEqual([]);
    stop.abort();
    await running;
  });

  it('--watch-namespace limits every list and watch to that namespace', async () => {
    const api = new FakeKubeApi();
    for (const key of KIND_KEYS) api.withList(collectionPath(DAPR_KINDS[key], 'team'), [[]], '10');
    api.withList('/api/v1/namespaces/team/pods', [[]]);
    const informers = new Informers({ api, watchNamespace: 'team' });
    const stop = new AbortController();
    const running = informers.run(stop.signal);
    await informers.whenSynced();
    stop.abort();
    await running;
    expect(api.requests.every((r) => r.path.includes('/namespaces/team/'))).toBe(true);
  });
});
