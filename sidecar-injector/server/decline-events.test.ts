// docs/injector.md, "When daprd is missing": which declines become Events, on which object, with
// which reason; the admission answer never waits for them.
import { describe, expect, it } from '@jest/globals';
import type { EventRecord } from '../../kit/kubernetes/events.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import { allowedCallers } from '../patcher/decisions.js';
import type { Pod } from '../patcher/k8s-types.js';
import { TEST_TRUST_ANCHORS, testInjector } from '../patcher/testing/fixtures.js';
import type { AdmissionRequestFacts } from './admission-review.js';
import { declineNotice, declineReporter } from './decline-events.js';
import { mutator } from './mutator.js';

const REPLICASET_CONTROLLER = 'system:serviceaccount:kube-system:replicaset-controller';
const owner = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'orders-5d8f',
  uid: 'rs-uid',
  controller: true,
};

function request(
  annotations: Record<string, string>,
  over: Partial<AdmissionRequestFacts> = {},
  meta = {},
): AdmissionRequestFacts {
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'orders-5d8f-',
      namespace: 'shop',
      annotations,
      ownerReferences: [owner],
      ...meta,
    },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    uid: 'u',
    kind: 'Pod',
    namespace: 'shop',
    pod,
    user: { username: REPLICASET_CONTROLLER },
    ...over,
  };
}

const decide = mutator({
  injector: testInjector(),
  policy: { callers: allowedCallers([]).callers },
  trustAnchors: () => TEST_TRUST_ANCHORS,
  mtlsEnabled: () => true,
  componentContainers: () => {
    throw new Error('error when fetching components: the Components are not listed yet');
  },
});

const notice = (r: AdmissionRequestFacts): ReturnType<typeof declineNotice> =>
  declineNotice(r, decide(r).decision);

const rsTarget = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  namespace: 'shop',
  name: 'orders-5d8f',
  uid: 'rs-uid',
};

describe('declineNotice', () => {
  it('a caller that may not inject: DaprInjectionCallerNotAllowed on the ReplicaSet, naming the caller and the fix', () => {
    const n = notice(
      request(
        { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'orders' },
        { user: { username: 'system:serviceaccount:ci:builder' } },
      ),
    );
    expect(n?.reason).toBe('DaprInjectionCallerNotAllowed');
    expect(n?.object).toEqual(rsTarget);
    expect(n?.message).toContain('system:serviceaccount:ci:builder');
    expect(n?.message).toContain('allowedServiceAccounts');
    expect(n?.message).toContain('pod orders-5d8f-*');
  });

  it.each(['yes', '1', 'on', 'True ', 'enabled'])(
    'dapr.io/enabled: %j (not "true"): InvalidDaprEnabledAnnotation with the fix',
    (value) => {
      const n = notice(request({ 'dapr.io/enabled': value }));
      expect(n?.reason).toBe('InvalidDaprEnabledAnnotation');
      expect(n?.message).toContain(JSON.stringify(value));
      expect(n?.message).toContain('dapr.io/enabled: "true"');
    },
  );

  it.each(['false', 'no', '0', 'off', ''])('dapr.io/enabled: %j asks for no sidecar: no Event', (value) => {
    expect(notice(request({ 'dapr.io/enabled': value }))).toBeUndefined();
  });

  it('no dapr.io/enabled at all: no Event', () => {
    expect(notice(request({}))).toBeUndefined();
  });

  it('an invalid app-id (the pod is rejected): InvalidDaprAppId with the reason', () => {
    const n = notice(request({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'Orders_App' }));
    expect(n?.reason).toBe('InvalidDaprAppId');
    expect(n?.message).toContain('invalid app id "Orders_App"');
    expect(n?.message).toContain('dapr.io/app-id');
  });

  it('a failure while building the sidecar: DaprSidecarInjectionFailed with the error', () => {
    const n = notice(
      request({
        'dapr.io/enabled': 'true',
        'dapr.io/app-id': 'orders',
        'dapr.io/inject-pluggable-components': 'true',
      }),
    );
    expect(n?.reason).toBe('DaprSidecarInjectionFailed');
    expect(n?.message).toContain('the Components are not listed yet');
  });

  it('an injected pod or one that already has daprd: no Event', () => {
    expect(notice(request({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'orders' }))).toBeUndefined();
    const withDaprd = request({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'orders' });
    const pod = { ...withDaprd.pod, spec: { containers: [{ name: 'daprd', image: 'daprd' }] } };
    expect(notice({ ...withDaprd, pod })).toBeUndefined();
  });

  it('a named pod without a controller gets the Event itself; an unnamed orphan is only logged', () => {
    const bare = request(
      { 'dapr.io/enabled': 'yes' },
      {},
      { name: 'debug', uid: 'pod-uid', ownerReferences: [] },
    );
    expect(notice(bare)?.object).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'shop',
      name: 'debug',
      uid: 'pod-uid',
    });
    const orphan = request({ 'dapr.io/enabled': 'yes' }, {}, { ownerReferences: [] });
    expect(notice(orphan)).toMatchObject({ reason: 'InvalidDaprEnabledAnnotation', object: undefined });
  });

  it('a non-controller owner is not the target', () => {
    const r = request(
      { 'dapr.io/enabled': 'yes' },
      {},
      { name: 'p', ownerReferences: [{ ...owner, controller: false }] },
    );
    expect(notice(r)?.object?.kind).toBe('Pod');
  });
});

describe('declineReporter', () => {
  it('logs every decline and records those with a target', () => {
    const recorded: EventRecord[] = [];
    const log = recordingLogger();
    const report = declineReporter({ record: (e) => recorded.push(e) }, log);
    const declined = request({ 'dapr.io/enabled': 'yes' });
    report(declined, decide(declined).decision);
    report(request({}, {}, { ownerReferences: [] }), decide(request({})).decision);
    const orphan = request({ 'dapr.io/enabled': 'yes' }, {}, { ownerReferences: [] });
    report(orphan, decide(orphan).decision);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      type: 'Warning',
      reason: 'InvalidDaprEnabledAnnotation',
      object: rsTarget,
    });
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    expect(log.lines[0]!.msg).toContain('event on ReplicaSet shop/orders-5d8f');
  });
});
