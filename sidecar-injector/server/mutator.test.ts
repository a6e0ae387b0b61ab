// docs/contracts/injector-and-chart.md §1.3 (errors that deny a pod), §2 (inject-pluggable-components): what the
// admission path does with the Components cache.
import { describe, expect, it } from '@jest/globals';
import { allowedCallers } from '../patcher/decisions.js';
import { TEST_TRUST_ANCHORS, testInjector, testPod } from '../patcher/testing/fixtures.js';
import type { Container } from '../patcher/k8s-types.js';
import { mutator } from './mutator.js';
import type { Mutation } from './webhook-handler.js';

const user = { username: 'system:serviceaccount:kube-system:replicaset-controller' };

function mutate(components: () => Container[], annotations: Record<string, string>): Mutation {
  return mutator({
    injector: testInjector(),
    policy: { callers: allowedCallers([]).callers },
    trustAnchors: () => TEST_TRUST_ANCHORS,
    mtlsEnabled: () => true,
    componentContainers: components,
  })({
    apiVersion: 'admission.k8s.io/v1',
    uid: 'u',
    kind: 'Pod',
    namespace: 'default',
    pod: testPod(annotations),
    user,
  });
}

const on = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'app' };

describe('mutator and the Components cache', () => {
  it('asks for containers only when dapr.io/inject-pluggable-components is truthy', () => {
    let asked = 0;
    const count = (): Container[] => {
      asked++;
      return [];
    };
    mutate(count, { ...on, 'dapr.io/inject-pluggable-components': 'false' });
    expect(asked).toBe(0);
    const m = mutate(count, { ...on, 'dapr.io/inject-pluggable-components': 'yes' });
    expect(asked).toBe(1);
    expect(m.decision.kind).toBe('patch');
  });

  it('denies with the reason when the Components are not known (upstream denies when its List fails)', () => {
    const m = mutate(
      () => {
        throw new Error('error when fetching components: the Components are not listed yet');
      },
      { ...on, 'dapr.io/inject-pluggable-components': 'true' },
    );
    expect(m.decision).toEqual({
      kind: 'deny',
      message: 'error when fetching components: the Components are not listed yet',
      cause: 'config-failed',
    });
    expect(m.appId).toBe('app');
  });
});
