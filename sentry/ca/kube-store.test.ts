import { describe, expect, it } from '@jest/globals';
import { FakeKubeApi } from '../../kit/kubernetes/testing/fake-api.js';
import { KubernetesCaStore } from './kube-store.js';
import { configMapData, secretData } from './bundle-layout.js';
import { fingerprintOf, StoreConflictError } from './ca-store.js';
import { TEST_KEYS, testBundle } from './testing/bundles.js';

const keys = TEST_KEYS;
const bundle = testBundle();
const SECRET = '/api/v1/namespaces/dapr-system/secrets/dapr-trust-bundle';
const CONFIG_MAP = '/api/v1/namespaces/dapr-system/configmaps/dapr-trust-bundle';
const store = (api: FakeKubeApi): KubernetesCaStore =>
  new KubernetesCaStore({ api, namespace: 'dapr-system', keys });
const pems = {
  trustAnchors: bundle.trustAnchorsPem,
  issuerChain: bundle.issuerChainPem,
  issuerKey: bundle.issuerKeyPem,
};

describe('sentry §5: the Kubernetes store (Secret and ConfigMap dapr-trust-bundle)', () => {
  it('creates both objects when Helm did not, with the upstream keys', async () => {
    const api = new FakeKubeApi();
    const snapshot = await store(api).read();
    expect(snapshot.decision.action).toBe('generate');
    expect(snapshot.fingerprint).toBe('');
    expect(await snapshot.saveBundle(bundle)).toBe(fingerprintOf(pems));
    expect(api.object(SECRET)).toMatchObject({
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: 'dapr-trust-bundle', namespace: 'dapr-system' },
      data: secretData(bundle, keys),
    });
    expect(api.object(CONFIG_MAP)).toMatchObject({ data: { 'ca.crt': bundle.trustAnchorsPem.toString() } });
    expect(await store(api).currentFingerprint()).toBe(fingerprintOf(pems));
  });

  it('fills the empty objects Helm made, keeping their other keys and labels', async () => {
    const labels = { app: 'dapr-sentry' };
    const api = new FakeKubeApi()
      .withObject(SECRET, { metadata: { name: 'dapr-trust-bundle', labels }, data: { 'jwt.key': 'x' } })
      .withObject(CONFIG_MAP, { metadata: { name: 'dapr-trust-bundle', labels } });
    const snapshot = await store(api).read();
    await snapshot.saveBundle(bundle);
    expect(api.object(SECRET)).toMatchObject({
      metadata: { labels },
      data: { 'jwt.key': 'x', 'ca.crt': expect.any(String) as unknown },
    });
    expect(api.object(CONFIG_MAP)).toMatchObject({ metadata: { labels }, data: configMapData(bundle, keys) });
    expect(api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT ${SECRET}`,
      `PUT ${CONFIG_MAP}`,
    ]);
  });

  it('a write racing another sentry fails with a conflict instead of overwriting its CA', async () => {
    const api = new FakeKubeApi()
      .withObject(SECRET, { metadata: { name: 'dapr-trust-bundle' } })
      .withObject(CONFIG_MAP, { metadata: { name: 'dapr-trust-bundle' } });
    const mine = await store(api).read();
    const theirs = await store(api).read();
    await theirs.saveBundle(bundle);
    await expect(mine.saveBundle(bundle)).rejects.toThrow(StoreConflictError);
  });

  it('two sentries creating the objects at once: the second gets a conflict', async () => {
    const api = new FakeKubeApi();
    const [a, b] = [await store(api).read(), await store(api).read()];
    await a.saveBundle(bundle);
    await expect(b.saveBundle(bundle)).rejects.toThrow(StoreConflictError);
  });

  it('uses what is stored, and writes only the ConfigMap when it lacks ca.crt', async () => {
    const api = new FakeKubeApi().withObject(SECRET, { data: secretData(bundle, keys) });
    const snapshot = await store(api).read();
    expect(snapshot.decision).toMatchObject({ action: 'use', writeConfigMap: true });
    expect(snapshot.fingerprint).toBe(fingerprintOf(pems));
    await snapshot.publishAnchors(bundle);
    expect(api.object(CONFIG_MAP)).toMatchObject({ data: { 'ca.crt': bundle.trustAnchorsPem.toString() } });
    expect(api.requests.filter((r) => r.method !== 'GET').map((r) => r.method)).toEqual(['POST']);
  });
});
