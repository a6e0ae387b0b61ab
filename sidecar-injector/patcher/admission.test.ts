import { describe, expect, it } from '@jest/globals';
import { admissionDecision, FAILURE_POD_PATCH } from './admission.js';
import { allowedCallers, type UserInfo } from './decisions.js';
import { testConfig, testPod } from './testing/fixtures.js';
import type { Pod } from './k8s-types.js';

const policy = { callers: allowedCallers([]).callers };
const controller: UserInfo = { username: 'system:serviceaccount:kube-system:replicaset-controller' };
const on = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'app' };

function decide(kind: string, pod: Pod, user: UserInfo = controller): ReturnType<typeof admissionDecision> {
  return admissionDecision({ kind, pod, user, policy, config: (p) => testConfig(p) });
}

describe('injector §1.3 decision flow, in order', () => {
  interface Case {
    readonly kind: string;
    readonly pod: Pod;
    readonly user?: UserInfo;
    readonly expected: string;
    readonly failureReason?: string;
  }
  it.each<[string, Case]>([
    [
      'not a Pod: allowed, counted as a pod_patch failure',
      { kind: 'Deployment', pod: testPod(on), expected: 'allow', failureReason: FAILURE_POD_PATCH },
    ],
    [
      'dapr.io/enabled "yes": allowed silently',
      { kind: 'Pod', pod: testPod({ ...on, 'dapr.io/enabled': 'yes' }), expected: 'allow' },
    ],
    [
      'caller not allowed: allowed without a patch, counted',
      {
        kind: 'Pod',
        pod: testPod(on),
        user: { username: 'bob' },
        expected: 'allow',
        failureReason: FAILURE_POD_PATCH,
      },
    ],
    [
      'daprd present: allowed without a patch',
      { kind: 'Pod', pod: testPod(on, { containers: [{ name: 'daprd' }] }), expected: 'allow' },
    ],
    ['empty app-id: denied', { kind: 'Pod', pod: testPod({ 'dapr.io/enabled': 'true' }), expected: 'deny' }],
    [
      'cluster admin: patched',
      {
        kind: 'Pod',
        pod: testPod(on),
        user: { username: 'admin', groups: ['system:masters'] },
        expected: 'patch',
      },
    ],
    ['deployment pod: patched', { kind: 'Pod', pod: testPod(on), expected: 'patch' }],
  ])('%s', (_name, c) => {
    const d = decide(c.kind, c.pod, c.user);
    expect(d.kind).toBe(c.expected);
    if (d.kind === 'allow') expect(d.failureReason).toBe(c.failureReason);
  });

  it('the enabled gate comes before the caller check (no failure counted for disabled pods)', () => {
    const d = decide('Pod', testPod({ 'dapr.io/enabled': 'false' }), { username: 'bob' });
    expect(d).toEqual({ kind: 'allow', reason: 'dapr.io/enabled is not "true"', cause: 'enabled-not-true' });
  });

  it('the denial carries the upstream message for an empty app-id', () => {
    expect(decide('Pod', testPod({ 'dapr.io/enabled': 'true' }))).toEqual({
      kind: 'deny',
      message: 'value for the dapr.io/app-id annotation is empty',
      cause: 'app-id-invalid',
    });
  });
});
