// docs/operator.md, "When daprd is missing": what the detector reports, on which object, once.
import { describe, expect, it } from '@jest/globals';
import type { EventRecord } from '../../kit/kubernetes/events.js';
import { FakeKubeApi } from '../../kit/kubernetes/testing/fake-api.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import { MissingSidecarDetector } from './detector.js';
import { reducePod, reduceWorkloadAnnotations, WORKLOAD_KINDS } from './findings.js';

const rsRef = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  name: 'orders-5d8f',
  uid: 'rs-uid',
  controller: true,
};

const CREATED = '2026-03-01T10:00:00Z';

function pod(
  name: string,
  over: { annotations?: Record<string, string>; containers?: string[]; phase?: string } = {},
): unknown {
  return {
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      creationTimestamp: CREATED,
      annotations: over.annotations ?? { 'dapr.io/enabled': 'true' },
      ownerReferences: [rsRef],
    },
    spec: { containers: (over.containers ?? ['app']).map((n) => ({ name: n })) },
    status: { phase: over.phase ?? 'Running' },
  };
}

describe('reducePod', () => {
  it('a running pod with dapr.io/enabled and no daprd is a finding, aimed at its controller', () => {
    expect(reducePod(pod('orders-5d8f-x'))).toEqual({
      key: 'shop/orders-5d8f-x',
      missing: {
        name: 'orders-5d8f-x',
        createdAt: Date.parse(CREATED),
        target: {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          namespace: 'shop',
          name: 'orders-5d8f',
          uid: 'rs-uid',
        },
      },
    });
  });

  it.each([
    ['with daprd', pod('p', { containers: ['app', 'daprd'] })],
    ['not asking for Dapr', pod('p', { annotations: {} })],
    ['dapr.io/enabled false', pod('p', { annotations: { 'dapr.io/enabled': 'false' } })],
    ['finished', pod('p', { phase: 'Succeeded' })],
    ['failed', pod('p', { phase: 'Failed' })],
  ])('%s: no finding', (_name, raw) => {
    expect(reducePod(raw)).toEqual({ key: 'shop/p' });
  });

  it('a pod without a creation time is still a finding (its cause is then unknown)', () => {
    const raw = pod('p') as { metadata: Record<string, unknown> };
    delete raw.metadata.creationTimestamp;
    const state = reducePod(raw);
    expect(state?.missing?.name).toBe('p');
    expect(state?.missing).not.toHaveProperty('createdAt');
  });

  it('a pod being deleted is no finding; nor is an object without a name', () => {
    const deleting = pod('p') as { metadata: Record<string, unknown> };
    deleting.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    expect(reducePod(deleting)).toEqual({ key: 'shop/p' });
    expect(reducePod({ metadata: {} })).toBeUndefined();
    expect(reducePod(null)).toBeUndefined();
  });
});

describe('reduceWorkloadAnnotations', () => {
  const deployment = reduceWorkloadAnnotations(WORKLOAD_KINDS[0]!);
  const body = (meta: Record<string, string>, template: Record<string, string>): unknown => ({
    metadata: { name: 'orders', namespace: 'shop', uid: 'd-uid', annotations: meta },
    spec: { template: { metadata: { annotations: template } } },
  });

  it('dapr.io/enabled on the Deployment but not its pod template is a finding', () => {
    expect(deployment(body({ 'dapr.io/enabled': 'true' }, {}))).toEqual({
      key: 'Deployment/shop/orders',
      misplaced: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'shop',
        name: 'orders',
        uid: 'd-uid',
      },
    });
  });

  it('on both, only on the template, or on neither: no finding', () => {
    expect(
      deployment(body({ 'dapr.io/enabled': 'true' }, { 'dapr.io/enabled': 'true' }))?.misplaced,
    ).toBeUndefined();
    expect(deployment(body({}, { 'dapr.io/enabled': 'true' }))?.misplaced).toBeUndefined();
    expect(deployment(body({}, {}))?.misplaced).toBeUndefined();
    // The template says no explicitly: the user decided; nothing to report.
    expect(
      deployment(body({ 'dapr.io/enabled': 'true' }, { 'dapr.io/enabled': 'false' }))?.misplaced,
    ).toBeUndefined();
  });
});

async function runDetector(
  api: FakeKubeApi,
  check: (recorded: EventRecord[], counts: number[]) => boolean,
): Promise<{ recorded: EventRecord[]; counts: number[] }> {
  const recorded: EventRecord[] = [];
  const counts: number[] = [];
  const detector = new MissingSidecarDetector({
    api,
    namespace: '',
    controlPlaneNamespace: 'dapr-system',
    recorder: { record: (e) => recorded.push(e) },
    log: recordingLogger(),
    onMissingCount: (n) => counts.push(n),
  });
  const stop = new AbortController();
  const running = detector.run(stop.signal);
  for (let i = 0; i < 200 && !check(recorded, counts); i++) await new Promise((r) => setTimeout(r, 5));
  stop.abort();
  await running;
  return { recorded, counts };
}

function withWorkloads(api: FakeKubeApi, deployments: unknown[] = []): FakeKubeApi {
  return api
    .withList('/apis/apps/v1/deployments', [deployments])
    .withList('/apis/apps/v1/statefulsets', [[]])
    .withList('/apis/apps/v1/daemonsets', [[]]);
}

describe('MissingSidecarDetector', () => {
  it('reports the pods of a Deployment once, on the Deployment, and counts them', async () => {
    const api = withWorkloads(new FakeKubeApi())
      .withList('/api/v1/pods', [
        [pod('orders-5d8f-a'), pod('orders-5d8f-b'), pod('other', { annotations: {} })],
      ])
      .withObject('/apis/apps/v1/namespaces/shop/replicasets/orders-5d8f', {
        metadata: {
          name: 'orders-5d8f',
          ownerReferences: [
            { apiVersion: 'apps/v1', kind: 'Deployment', name: 'orders', uid: 'd-uid', controller: true },
          ],
        },
      });
    const { recorded, counts } = await runDetector(api, (r) => r.length >= 2);
    expect(recorded).toHaveLength(2); // one per pod; the recorder aggregates them into one Event
    for (const e of recorded) {
      expect(e).toMatchObject({
        type: 'Warning',
        reason: 'DaprSidecarMissing',
        object: { kind: 'Deployment', name: 'orders', uid: 'd-uid', namespace: 'shop' },
      });
      expect(e.message).toContain('kubectl rollout restart -n shop deployment/orders');
      // No injector list answers here (the read fails): both causes are named.
      expect(e.message).toContain('failurePolicy is Ignore');
    }
    expect(counts).toContain(2);
    expect(counts.at(-1)).toBe(0); // stopped: no longer leading, the gauge is cleared
    // The ReplicaSet was read once: its owner is remembered.
    expect(api.requests.filter((r) => r.path.includes('/replicasets/'))).toHaveLength(1);
  });

  it('a pod seen again (a status update) is not reported again', async () => {
    const api = withWorkloads(new FakeKubeApi())
      .withList('/api/v1/pods', [[pod('orders-5d8f-a')]])
      .withWatch(async (onEvent) => {
        onEvent({ type: 'MODIFIED', object: pod('orders-5d8f-a') });
        onEvent({ type: 'MODIFIED', object: pod('orders-5d8f-a') });
        await new Promise((r) => setTimeout(r, 20));
      });
    const { recorded } = await runDetector(api, () => false);
    // The ReplicaSet is unknown (404): the Event goes to the ReplicaSet itself.
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.object.kind).toBe('ReplicaSet');
    expect(recorded[0]!.message).toContain('kubectl delete pod -n shop orders-5d8f-a');
  });

  it('a pod that gets daprd (or goes away) leaves the count', async () => {
    const api = withWorkloads(new FakeKubeApi())
      .withList('/api/v1/pods', [[pod('a'), pod('b')]])
      .withWatch(async (onEvent) => {
        onEvent({ type: 'DELETED', object: pod('a') });
        onEvent({ type: 'MODIFIED', object: pod('b', { containers: ['app', 'daprd'] }) });
        await new Promise((r) => setTimeout(r, 20));
      });
    const { counts } = await runDetector(api, (_r, c) => c.at(-1) === 0 && c.includes(2));
    expect(counts.slice(0, counts.indexOf(2) + 3)).toEqual([0, 1, 2, 1, 0]);
  });

  it('reports a Deployment with dapr.io/enabled on its metadata only', async () => {
    const api = withWorkloads(new FakeKubeApi(), [
      {
        metadata: {
          name: 'orders',
          namespace: 'shop',
          uid: 'd-uid',
          annotations: { 'dapr.io/enabled': 'true' },
        },
        spec: { template: { metadata: {} } },
      },
    ]).withList('/api/v1/pods', [[]]);
    const { recorded } = await runDetector(api, (r) => r.length >= 1);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      reason: 'DaprAnnotationNotOnPodTemplate',
      object: { kind: 'Deployment', name: 'orders', uid: 'd-uid' },
    });
    expect(recorded[0]!.message).toContain('spec.template.metadata.annotations');
  });

  describe('names the likely cause from the injector pods in its own namespace', () => {
    const INJECTOR_PODS = '/api/v1/namespaces/dapr-system/pods';
    const injector = (ready: boolean, since: string): unknown => ({
      metadata: { name: 'dapr-sidecar-injector-a', namespace: 'dapr-system' },
      status: {
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since }],
      },
    });

    async function messagesWith(injectorPods: unknown[]): Promise<{ messages: string[]; api: FakeKubeApi }> {
      const api = withWorkloads(new FakeKubeApi())
        .withList('/api/v1/pods', [[pod('orders-5d8f-a'), pod('orders-5d8f-b')]])
        .withList(INJECTOR_PODS, [injectorPods]);
      const { recorded } = await runDetector(api, (r) => r.length >= 2);
      expect(recorded).toHaveLength(2);
      for (const e of recorded) expect(e.reason).toBe('DaprSidecarMissing'); // the same reason for every cause
      return { messages: recorded.map((e) => e.message), api };
    }

    it('no Ready injector pod: the webhook could not be called; two findings share one read', async () => {
      const { messages, api } = await messagesWith([injector(false, '2026-03-01T09:00:00Z')]);
      for (const m of messages) {
        expect(m).toContain('no sidecar injector pod is Ready in namespace dapr-system now');
        expect(m).toContain('kubectl delete pod -n shop orders-5d8f-');
      }
      expect(api.requests.filter((r) => r.path === INJECTOR_PODS)).toHaveLength(1);
    });

    it('Ready only since after the pod was created: created before the injector was Ready', async () => {
      const { messages } = await messagesWith([injector(true, '2026-03-01T10:05:00Z')]);
      for (const m of messages)
        expect(m).toContain(
          'created at 2026-03-01T10:00:00Z, before the sidecar injector was Ready (since 2026-03-01T10:05:00Z)',
        );
    });

    it('Ready since before the pod was created: unreachable, or left out by the selectors', async () => {
      const { messages } = await messagesWith([injector(true, '2026-03-01T09:00:00Z')]);
      for (const m of messages) {
        expect(m).toContain('although the sidecar injector was Ready (since 2026-03-01T09:00:00Z)');
        expect(m).toContain('namespaceSelector/objectSelector');
      }
    });
  });
});
