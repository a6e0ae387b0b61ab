import { afterEach, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { recordingLogger } from '../../kit/testing/logger.js';
import { TestPki } from '../../kit/testing/test-pki.js';
import { ConversionWebhook, reviewResponse, type IdentitySource, type IdentityUpdate } from './webhook.js';

const DNS_NAME = 'dapr-webhook.dapr-system.svc';
const pki = new TestPki();

/** The operator's SVID as sentry issues it: RSA key, dapr-operator id, the webhook DNS name. */
function operatorSvid(): IdentityUpdate {
  const svid = pki.svid(
    { trustDomain: 'cluster.local', namespace: 'dapr-system', appId: 'dapr-operator', dnsNames: [DNS_NAME] },
    'rsa',
  );
  return { certificate: svid.certChainPem, privateKey: svid.keyPem };
}

class Identities implements IdentitySource {
  readonly listeners = new Set<(u: IdentityUpdate | null) => void>();
  addIdentityCertificateListener(l: (u: IdentityUpdate | null) => void): void {
    this.listeners.add(l);
  }
  removeIdentityCertificateListener(l: (u: IdentityUpdate | null) => void): void {
    this.listeners.delete(l);
  }
  push(u: IdentityUpdate): void {
    for (const l of this.listeners) l(u);
  }
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly serial: string;
}

function post(port: number, path: string, body: string, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        ca: pki.trustAnchorsPem,
        servername: DNS_NAME,
        agent: false,
      },
      (res) => {
        const serial = (res.socket as TLSSocket).getPeerX509Certificate()?.serialNumber ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), serial }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const review = (objects: unknown[], desiredAPIVersion = 'dapr.io/v1alpha1'): string =>
  JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'ConversionReview',
    request: { uid: 'req-1', desiredAPIVersion, objects },
  });

const v2 = {
  apiVersion: 'dapr.io/v2alpha1',
  kind: 'Subscription',
  metadata: { name: 's', namespace: 'default' },
  spec: { pubsubname: 'p', topic: 't', routes: { default: '/d' } },
};

describe('the conversion webhook', () => {
  const controller = new AbortController();
  let running: Promise<void> | undefined;
  afterEach(async () => {
    controller.abort();
    await running;
  });

  it('waits for the SVID, serves /convert over TLS for the webhook DNS name and follows rotation', async () => {
    const identities = new Identities();
    let port = 0;
    const listening = new Promise<void>((resolve) => {
      running = new ConversionWebhook({
        port: 0,
        host: '127.0.0.1',
        identity: identities,
        log: recordingLogger(),
        onListening: (p) => {
          port = p;
          resolve();
        },
      }).run(controller.signal);
    });
    const first = operatorSvid();
    identities.push(first);
    await listening;

    const ok = await post(port, '/convert', review([v2]));
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'ConversionReview',
      response: {
        uid: 'req-1',
        convertedObjects: [
          {
            apiVersion: 'dapr.io/v1alpha1',
            kind: 'Subscription',
            metadata: { name: 's', namespace: 'default' },
            spec: { topic: 't', pubsubname: 'p', route: '/d', bulkSubscribe: { enabled: false } },
          },
        ],
        result: { metadata: {}, status: 'Success' },
      },
    });
    expect(ok.serial).toBe(new X509Certificate(first.certificate).serialNumber);

    expect((await post(port, '/convert', 'not json')).status).toBe(400);
    expect((await post(port, '/convert', '{"kind":"ConversionReview"}')).status).toBe(400);
    expect((await post(port, '/other', review([v2]))).status).toBe(404);

    const failed = await post(port, '/convert', review([{ ...v2, kind: 'Component' }]));
    expect(failed.status).toBe(200);
    expect((JSON.parse(failed.body) as { response: unknown }).response).toEqual({
      uid: 'req-1',
      result: { metadata: {}, status: 'Failure', message: 'unexpected kind "Component"' },
    });

    const second = operatorSvid();
    identities.push(second);
    expect((await post(port, '/convert', review([v2]))).serial).toBe(
      new X509Certificate(second.certificate).serialNumber,
    );
  });
});

describe('reviewResponse', () => {
  it('converts every object of the request in order', () => {
    const v1 = { ...v2, apiVersion: 'dapr.io/v1alpha1', spec: { topic: 't', pubsubname: 'p', route: '/r' } };
    const answer = reviewResponse({
      request: { uid: 'u', desiredAPIVersion: 'dapr.io/v2alpha1', objects: [v2, v1] },
    });
    const response = answer.response as { convertedObjects: { spec: { routes: unknown } }[] };
    expect(response.convertedObjects.map((o) => o.spec.routes)).toEqual([
      { default: '/d' },
      { default: '/r' },
    ]);
  });
});
