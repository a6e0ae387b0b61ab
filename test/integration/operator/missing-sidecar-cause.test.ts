// The missing-sidecar detector (operator/sidecars/) against a real kube-apiserver: which cause its
// DaprSidecarMissing message names (docs/operator.md, "When daprd is missing"), from the creation
// time of a pod without daprd and the Ready condition of the injector pods in the control-plane
// namespace (label app=dapr-sidecar-injector, or app=dapr-control-plane in all-in-one mode). No
// kubelet runs here, so the injector pods' Ready conditions are written through the status
// subresource, with the time they became Ready, as a kubelet would.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { KubeClient } from '../../../kit/kubernetes/client.js';
import { kubeconfigConnection } from '../../../kit/kubernetes/config.js';
import type { EventRecord } from '../../../kit/kubernetes/events.js';
import { recordingLogger } from '../../../kit/testing/logger.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { MissingSidecarDetector } from '../../../operator/sidecars/detector.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';

interface Pod {
  metadata: { name: string; namespace: string; creationTimestamp: string };
}

/** Whole seconds, as the apiserver and kubelets write times. */
const seconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

describe('DaprSidecarMissing names the likely cause (real kube-apiserver)', () => {
  let cluster: TestCluster;
  let client: KubeClient;

  beforeAll(async () => {
    cluster = await startTestCluster();
    const doc: unknown = parse(readFileSync(cluster.kubeconfigPath, 'utf8'));
    client = new KubeClient(kubeconfigConnection(doc, cluster.kubeconfigPath), {
      userAgent: 'missing-sidecar-cause-test',
    });
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
  }, 60_000);

  /** A namespace whose default ServiceAccount exists (pods are refused before). */
  async function namespace(name: string): Promise<void> {
    await client.request('/api/v1/namespaces', { method: 'POST', body: { metadata: { name } } });
    await waitFor(
      () => client.request(`/api/v1/namespaces/${name}/serviceaccounts/default`).then(() => true),
      { what: `the default ServiceAccount in ${name}` },
    );
  }

  /** A bare pod (no kubelet runs it; it stays Pending). */
  function createPod(
    ns: string,
    name: string,
    meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
  ): Promise<Pod> {
    return client.request<Pod>(`/api/v1/namespaces/${ns}/pods`, {
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, ...meta },
        spec: { containers: [{ name: 'app', image: 'dapr-ts/test-app:echo' }] },
      },
    });
  }

  /** Sets the pod's Ready condition as a kubelet would, keeping the scheduler's conditions. */
  async function setReady(ns: string, name: string, ready: boolean, since: string): Promise<void> {
    await client.request(`/api/v1/namespaces/${ns}/pods/${name}/status`, {
      method: 'PATCH',
      contentType: 'application/strategic-merge-patch+json',
      body: {
        status: {
          conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: since }],
        },
      },
    });
    const pod = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
      `/api/v1/namespaces/${ns}/pods/${name}`,
    );
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe(ready ? 'True' : 'False');
  }

  const appPod = (ns: string, name: string): Promise<Pod> =>
    createPod(ns, name, { annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': name } });

  /** Waits until the wall clock is in a later second than `iso`, so the next timestamp differs. */
  async function nextSecond(iso: string): Promise<void> {
    await waitFor(() => Date.now() >= Date.parse(iso) + 1000, {
      what: `a second after ${iso}`,
      intervalMs: 50,
    });
  }

  /** A fresh detector (a new leader) on `appNs`: the message of its one Event. */
  async function reported(appNs: string, controlPlaneNs: string): Promise<EventRecord> {
    const recorded: EventRecord[] = [];
    const detector = new MissingSidecarDetector({
      api: client,
      namespace: appNs,
      controlPlaneNamespace: controlPlaneNs,
      recorder: { record: (e) => recorded.push(e) },
      log: recordingLogger('detector'),
    });
    const stop = new AbortController();
    const running = detector.run(stop.signal);
    try {
      await waitFor(() => recorded.length > 0, { what: `a DaprSidecarMissing finding in ${appNs}` });
    } finally {
      stop.abort();
      await running;
    }
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ type: 'Warning', reason: 'DaprSidecarMissing' });
    return recorded[0]!;
  }

  it('no Ready injector pod (one not Ready, other control-plane pods Ready): the webhook could not be called', async () => {
    await namespace('cp-none');
    await namespace('app-none');
    await createPod('cp-none', 'dapr-sidecar-injector-a', { labels: { app: 'dapr-sidecar-injector' } });
    await setReady('cp-none', 'dapr-sidecar-injector-a', false, seconds(Date.now()));
    // Not an injector: its being Ready says nothing about the webhook.
    await createPod('cp-none', 'dapr-sentry-a', { labels: { app: 'dapr-sentry' } });
    await setReady('cp-none', 'dapr-sentry-a', true, seconds(Date.now() - 3_600_000));
    await appPod('app-none', 'lonely');
    const event = await reported('app-none', 'cp-none');
    expect(event.object).toMatchObject({ kind: 'Pod', name: 'lonely', namespace: 'app-none' });
    expect(event.message).toContain(
      'no sidecar injector pod is Ready in namespace cp-none now, so the API server could not call the webhook',
    );
    expect(event.message).toContain('kubectl delete pod -n app-none lonely');
  }, 60_000);

  it('the injector became Ready after the pod was created: created before the injector was Ready', async () => {
    await namespace('cp-before');
    await namespace('app-before');
    await createPod('cp-before', 'dapr-sidecar-injector-a', { labels: { app: 'dapr-sidecar-injector' } });
    const pod = await appPod('app-before', 'early');
    await nextSecond(pod.metadata.creationTimestamp);
    const since = seconds(Date.now());
    await setReady('cp-before', 'dapr-sidecar-injector-a', true, since);
    const event = await reported('app-before', 'cp-before');
    expect(event.message).toContain(
      `the pod was created at ${pod.metadata.creationTimestamp}, before the sidecar injector was Ready (since ${since})`,
    );
    expect(event.message).toContain(
      'The injector is Ready now: recreate the pods: delete the pod (kubectl delete pod -n app-before early)',
    );
  }, 60_000);

  it('the injector (all-in-one) was Ready before the pod was created: not reached, or left out by the selectors', async () => {
    await namespace('cp-after');
    await namespace('app-after');
    await createPod('cp-after', 'dapr-control-plane-0', { labels: { app: 'dapr-control-plane' } });
    const since = seconds(Date.now());
    await setReady('cp-after', 'dapr-control-plane-0', true, since);
    await nextSecond(since);
    const pod = await appPod('app-after', 'late');
    expect(Date.parse(pod.metadata.creationTimestamp)).toBeGreaterThan(Date.parse(since));
    const event = await reported('app-after', 'cp-after');
    expect(event.message).toContain(
      `not called when the pod was created at ${pod.metadata.creationTimestamp}, although the sidecar injector was Ready (since ${since})`,
    );
    expect(event.message).toContain('could not reach it');
    expect(event.message).toContain("the webhook's namespaceSelector/objectSelector");
    expect(event.message).toContain(
      'Fix that, then recreate the pods: delete the pod (kubectl delete pod -n app-after late)',
    );
  }, 60_000);
});
