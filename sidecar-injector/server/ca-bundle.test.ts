// docs/contracts/injector-and-chart.md §4, §7 item 9: the caBundle follows the trust anchors; a failed patch is
// retried and keeps the health target not ready.
import { describe, expect, it } from '@jest/globals';
import { HealthTargets } from '../../kit/health-targets.js';
import { KubeApiError } from '../../kit/kubernetes/client.js';
import { FakeKubeApi } from '../../kit/kubernetes/testing/fake-api.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import { waitFor } from '../../kit/testing/wait.js';
import { caBundlePatch, CaBundleKeeper } from './ca-bundle.js';

const PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/dapr-sidecar-injector';
const ok = { kind: 'MutatingWebhookConfiguration' };

describe('caBundle keeper', () => {
  it('is an add of the base64 PEM at webhook 0 (works whether or not the field exists)', () => {
    expect(caBundlePatch(Buffer.from('PEM'))).toEqual([
      { op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: 'UEVN' },
    ]);
  });

  it('patches on start, retries a failure, and patches again when the anchors change', async () => {
    const api = new FakeKubeApi()
      .withFailure('PATCH', PATH, new KubeApiError(500, 'InternalError', 'etcd is down'))
      .withAnswer('PATCH', PATH, ok)
      .withAnswer('PATCH', PATH, ok);
    const targets = new HealthTargets();
    const health = targets.addTarget('webhook-configuration');
    const log = recordingLogger();
    const keeper = new CaBundleKeeper({ api, log, health, delay: () => Promise.resolve() });
    const stop = new AbortController();
    const running = keeper.run(stop.signal);
    keeper.update(Buffer.from('first'));
    await waitFor(() => targets.isHealthy(), { what: 'the first patch', timeoutMs: 2_000, intervalMs: 5 });
    keeper.update(Buffer.from('first')); // unchanged: no new patch
    keeper.update(Buffer.from('second'));
    await waitFor(() => api.requests.length === 3, {
      what: 'the second patch',
      timeoutMs: 2_000,
      intervalMs: 5,
    });
    stop.abort();
    await running;
    const bodies = api.requests.map((r) => (r.body as { value: string }[])[0]!.value);
    expect(bodies).toEqual(['first', 'first', 'second'].map((s) => Buffer.from(s).toString('base64')));
    expect(api.requests.every((r) => r.method === 'PATCH' && r.path === PATH)).toBe(true);
    expect(log.lines.some((l) => l.level === 'error' && l.msg.includes('etcd is down'))).toBe(true);
  });
});
