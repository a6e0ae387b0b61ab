import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../../kit/kubernetes/client.js';
import { FakeKubeApi } from '../../kit/kubernetes/testing/fake-api.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import { HealthTargets } from '../../kit/health-targets.js';
import {
  CaBundleUpkeep,
  caBundlePatch,
  CRD_PATH,
  CrdNotPatchableError,
  type TrustAnchorSource,
} from './ca-bundle.js';

const PEM_A = Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
const PEM_B = Buffer.from('-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n');

function crd(namespace: string, caBundle?: string): Record<string, unknown> {
  return {
    metadata: { name: 'subscriptions.dapr.io' },
    spec: {
      conversion: {
        strategy: 'Webhook',
        webhook: {
          conversionReviewVersions: ['v1', 'v2alpha1'],
          clientConfig: {
            service: { name: 'dapr-webhook', namespace, path: '/convert' },
            ...(caBundle ? { caBundle } : {}),
          },
        },
      },
    },
  };
}

class Anchors implements TrustAnchorSource {
  listener: ((u: { caCertificate: Buffer } | null) => void) | undefined;
  addCaCertificateListener(l: (u: { caCertificate: Buffer } | null) => void): void {
    this.listener = l;
  }
  removeCaCertificateListener(): void {
    this.listener = undefined;
  }
}

describe('caBundlePatch', () => {
  it('sets the service namespace and the base64 PEM when either differs', () => {
    expect(caBundlePatch(crd('replaceme'), 'dapr-system', PEM_A)).toEqual([
      {
        op: 'replace',
        path: '/spec/conversion/webhook/clientConfig/service/namespace',
        value: 'dapr-system',
      },
      { op: 'add', path: '/spec/conversion/webhook/clientConfig/caBundle', value: PEM_A.toString('base64') },
    ]);
    expect(caBundlePatch(crd('dapr-system', PEM_B.toString('base64')), 'dapr-system', PEM_A)).toHaveLength(2);
  });

  it('does nothing when the CRD is already right', () => {
    expect(caBundlePatch(crd('dapr-system', PEM_A.toString('base64')), 'dapr-system', PEM_A)).toBeUndefined();
  });

  it('a webhook reached by url (no service): only its caBundle is kept current', () => {
    const byUrl = (caBundle?: string): Parameters<typeof caBundlePatch>[0] => ({
      spec: { conversion: { webhook: { clientConfig: { url: 'https://hooks.example/convert', caBundle } } } },
    });
    expect(caBundlePatch(byUrl(), 'dapr-system', PEM_A)).toEqual([
      { op: 'add', path: '/spec/conversion/webhook/clientConfig/caBundle', value: PEM_A.toString('base64') },
    ]);
    expect(caBundlePatch(byUrl(PEM_A.toString('base64')), 'dapr-system', PEM_A)).toBeUndefined();
  });

  it('refuses a CRD without a webhook clientConfig', () => {
    expect(() => caBundlePatch({ spec: { conversion: {} } }, 'ns', PEM_A)).toThrow(CrdNotPatchableError);
  });
});

describe('CaBundleUpkeep', () => {
  it('patches at startup and again when the anchors change, then reports ready', async () => {
    const api = new FakeKubeApi().withObject(CRD_PATH, crd('replaceme'));
    // The fake stores no PATCH: answer it, and make the next GET show the first result.
    api.withAnswer('PATCH', CRD_PATH, {});
    const anchors = new Anchors();
    const targets = new HealthTargets();
    const health = targets.addTarget('operator-webhook');
    const upkeep = new CaBundleUpkeep({
      api,
      namespace: 'dapr-system',
      anchors,
      log: recordingLogger(),
      health,
    });
    const controller = new AbortController();
    const running = upkeep.run(controller.signal);
    anchors.listener!({ caCertificate: PEM_A });
    await waitUntil(() => targets.isHealthy());
    const patches = (): unknown[] => api.requests.filter((r) => r.method === 'PATCH').map((r) => r.body);
    expect(patches()).toEqual([caBundlePatch(crd('replaceme'), 'dapr-system', PEM_A)]);

    api.withObject(CRD_PATH, crd('dapr-system', PEM_A.toString('base64')));
    api.withAnswer('PATCH', CRD_PATH, {});
    anchors.listener!({ caCertificate: PEM_B });
    await waitUntil(() => patches().length === 2);
    expect(patches()[1]).toEqual([
      {
        op: 'replace',
        path: '/spec/conversion/webhook/clientConfig/service/namespace',
        value: 'dapr-system',
      },
      { op: 'add', path: '/spec/conversion/webhook/clientConfig/caBundle', value: PEM_B.toString('base64') },
    ]);
    controller.abort();
    await running;
  });

  it('fails when the CRD does not exist, and retries transient errors', async () => {
    const delays: number[] = [];
    const api = new FakeKubeApi()
      .withFailure('GET', CRD_PATH, new KubeApiError(503, 'ServiceUnavailable', 'later'))
      .withFailure('GET', CRD_PATH, new KubeApiError(404, 'NotFound', 'missing'));
    const anchors = new Anchors();
    const health = new HealthTargets().addTarget('operator-webhook');
    const upkeep = new CaBundleUpkeep({
      api,
      namespace: 'dapr-system',
      anchors,
      log: recordingLogger(),
      health,
      delay: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    const running = upkeep.run(new AbortController().signal);
    anchors.listener!({ caCertificate: PEM_A });
    await expect(running).rejects.toThrow(/subscriptions.dapr.io not found/);
    expect(delays).toEqual([1000]);
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not reached');
}
