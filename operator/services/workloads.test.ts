import { describe, expect, it } from '@jest/globals';
import { desiredService } from './desired-service.js';
import { desiredFingerprint, reduceService } from './observed-service.js';
import { collectionPath, DEPLOYMENT, reduceWorkload, ROLLOUT, STATEFUL_SET } from './workloads.js';

function raw(
  kind: string,
  annotations: Record<string, string>,
  extra: Record<string, unknown> = {},
): unknown {
  return {
    apiVersion: 'x',
    kind,
    metadata: { name: 'w', namespace: 'ns', uid: 'u', annotations: { 'dapr.io/enabled': 'true' }, ...extra },
    spec: {
      selector: { matchLabels: { app: 'w' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] },
      template: { metadata: { annotations }, spec: { containers: [{ name: 'c', image: 'i' }] } },
    },
    status: { replicas: 3 },
  };
}

describe('workload reduction', () => {
  it('keeps identity, matchLabels and only the annotations the Service needs', () => {
    const state = reduceWorkload(ROLLOUT)(
      raw('Rollout', {
        'dapr.io/enabled': 'true',
        'dapr.io/app-id': 'r',
        'dapr.io/config': 'ignored',
        'other/annotation': 'x'.repeat(1000),
      }),
    );
    expect(state).toEqual({
      key: 'Rollout/ns/w',
      workload: {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Rollout',
        namespace: 'ns',
        name: 'w',
        uid: 'u',
        matchLabels: { app: 'w' },
        annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'r' },
      },
    });
  });

  it('keeps nothing but the key for workloads that are not Dapr-enabled (the workload annotation does not count) or are being deleted', () => {
    const reduce = reduceWorkload(DEPLOYMENT);
    expect(reduce(raw('Deployment', {}))).toEqual({ key: 'Deployment/ns/w' });
    expect(reduce(raw('Deployment', { 'dapr.io/enabled': 'false', 'dapr.io/app-id': 'a' }))).toEqual({
      key: 'Deployment/ns/w',
    });
    expect(
      reduce(raw('Deployment', { 'dapr.io/enabled': 'true' }, { deletionTimestamp: '2026-01-01T00:00:00Z' })),
    ).toEqual({ key: 'Deployment/ns/w' });
    expect(reduce({ kind: 'Deployment' })).toBeUndefined();
  });

  it('lists cluster-wide or in the --watch-namespace', () => {
    expect(collectionPath(STATEFUL_SET, '')).toBe('/apis/apps/v1/statefulsets');
    expect(collectionPath(ROLLOUT, 'shop')).toBe('/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts');
  });
});

describe('observed Services', () => {
  const workload = reduceWorkload(STATEFUL_SET)(
    raw('StatefulSet', { 'dapr.io/enabled': '1', 'dapr.io/app-id': 'a' }),
  )!.workload!;
  const desired = desiredService(workload);
  if ('error' in desired) throw new Error(desired.error);

  it('match the desired Service whatever the apiserver adds and in any key order', () => {
    const s = desired.service;
    const stored = {
      metadata: {
        ...s.metadata,
        annotations: Object.fromEntries(Object.entries(s.metadata.annotations).reverse()),
        resourceVersion: '9',
        managedFields: [{}],
      },
      spec: {
        ...s.spec,
        clusterIPs: ['None'],
        ipFamilies: ['IPv4'],
        type: 'ClusterIP',
        sessionAffinity: 'None',
      },
    };
    const observed = reduceService(stored)!;
    expect(observed.key).toBe('ns/a-dapr');
    expect(observed.ownerKey).toBe('StatefulSet/ns/w');
    expect(observed.fingerprint).toBe(desiredFingerprint(s));
  });

  it('differ when a written field changed, and have no owner key for other owners', () => {
    const s = desired.service;
    const edited = { ...s, metadata: { ...s.metadata, labels: { ...s.metadata.labels, mine: 'x' } } };
    expect(reduceService(edited)!.fingerprint).not.toBe(desiredFingerprint(s));
    const foreign = {
      ...s,
      metadata: {
        ...s.metadata,
        ownerReferences: [{ ...s.metadata.ownerReferences[0]!, apiVersion: 'other/v1' }],
      },
    };
    expect(reduceService(foreign)!.ownerKey).toBeUndefined();
  });
});
