// Foundation acceptance: a real etcd + kube-apiserver + controller-manager + scheduler,
// driven through @kubernetes/client-node, kubectl and helm.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  Watch,
  type V1CustomResourceDefinition,
  type V1Pod,
} from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../../deps/paths.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { SERVICE_ACCOUNT_ISSUER } from '../../cluster/components.js';
import { processesOfRun } from '../../harness/reaper.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { Helm, kubectl } from '../../harness/tools.js';
import { waitFor } from '../../../kit/testing/wait.js';

const fixture = (name: string): string => join(repoRoot, 'test', 'fixtures', name);

describe('the test cluster (real etcd, kube-apiserver, kube-controller-manager, kube-scheduler)', () => {
  let cluster: TestCluster;
  let core: CoreV1Api;

  beforeAll(async () => {
    cluster = await startTestCluster();
    core = cluster.kubeConfig.makeApiClient(CoreV1Api);
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('creates a default service account in a new namespace (controller manager is running)', async () => {
    await core.createNamespace({ body: { metadata: { name: 'sa-check' } } });
    const sa = await waitFor(
      async () =>
        (await core.listNamespacedServiceAccount({ namespace: 'sa-check' })).items.find(
          (s) => s.metadata?.name === 'default',
        ),
      { what: 'the default service account in sa-check' },
    );
    expect(sa.metadata?.namespace).toBe('sa-check');
  });

  it('serves an applied CRD and delivers custom-resource events to a watch', async () => {
    const crd = parse(readFileSync(fixture('widgets-crd.yaml'), 'utf8')) as V1CustomResourceDefinition;
    const ext = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: crd });
    await waitFor(
      async () =>
        (
          await ext.readCustomResourceDefinition({ name: 'widgets.test.dapr-ts.io' })
        ).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
      { what: 'the Widget CRD to be established' },
    );

    // List first (the CRD's endpoint may lag "Established" briefly), then watch from that
    // resourceVersion, so no event can fall between the two whatever the connection timing.
    const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
    const gvr = { group: 'test.dapr-ts.io', version: 'v1', namespace: 'default', plural: 'widgets' };
    const list = await waitFor(
      async () => (await custom.listNamespacedCustomObject(gvr)) as { metadata: { resourceVersion: string } },
      {
        what: 'the widgets endpoint to serve',
      },
    );
    const events: Array<{ type: string; name: string; size: number }> = [];
    let watchError: unknown;
    const watch = new Watch(cluster.kubeConfig);
    const req = await watch.watch(
      '/apis/test.dapr-ts.io/v1/namespaces/default/widgets',
      { resourceVersion: list.metadata.resourceVersion },
      (type, obj: { metadata: { name: string }; spec: { size: number } }) =>
        events.push({ type, name: obj.metadata.name, size: obj.spec.size }),
      (err: unknown) => (watchError = err),
    );
    try {
      await custom.createNamespacedCustomObject({
        ...gvr,
        body: {
          apiVersion: 'test.dapr-ts.io/v1',
          kind: 'Widget',
          metadata: { name: 'w1' },
          spec: { size: 3 },
        },
      });
      await custom.patchNamespacedCustomObject({
        ...gvr,
        name: 'w1',
        body: [{ op: 'replace', path: '/spec/size', value: 4 }],
      });
      await waitFor(() => events.length >= 2 || undefined, { what: 'two watch events' }).catch(
        (err: Error) => {
          throw new Error(
            `${err.message}; events: ${JSON.stringify(events)}; watch ended with: ${String(watchError)}`,
          );
        },
      );
      expect(events.slice(0, 2)).toEqual([
        { type: 'ADDED', name: 'w1', size: 3 },
        { type: 'MODIFIED', name: 'w1', size: 4 },
      ]);

      // The schema is enforced by the apiserver: size must be >= 1.
      await expect(
        custom.createNamespacedCustomObject({
          ...gvr,
          body: {
            apiVersion: 'test.dapr-ts.io/v1',
            kind: 'Widget',
            metadata: { name: 'bad' },
            spec: { size: 0 },
          },
        }),
      ).rejects.toMatchObject({ code: 422 });
    } finally {
      req.abort();
    }
  });

  it('mints a service-account token with TokenRequest and validates it with TokenReview', async () => {
    await waitFor(
      async () =>
        (await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' })).metadata,
      {
        what: 'the default service account',
      },
    );
    const audience = 'dapr.io/sentry';
    const tr = await core.createNamespacedServiceAccountToken({
      name: 'default',
      namespace: 'default',
      body: { spec: { audiences: [audience], expirationSeconds: 600 } },
    });
    const token = tr.status?.token ?? '';
    expect(token.split('.')).toHaveLength(3);

    const authn = cluster.kubeConfig.makeApiClient(AuthenticationV1Api);
    const review = await authn.createTokenReview({ body: { spec: { token, audiences: [audience] } } });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe('system:serviceaccount:default:default');
    expect(review.status?.audiences).toEqual([audience]);

    // The same token is refused for another audience, and the default audience is the issuer.
    const wrongAudience = await authn.createTokenReview({
      body: { spec: { token, audiences: ['someone-else'] } },
    });
    expect(wrongAudience.status?.authenticated).toBeFalsy();
    const plain = await core.createNamespacedServiceAccountToken({
      name: 'default',
      namespace: 'default',
      body: { spec: { audiences: [] } },
    });
    const plainReview = await authn.createTokenReview({
      body: { spec: { token: plain.status?.token ?? '' } },
    });
    expect(plainReview.status?.audiences).toEqual([SERVICE_ACCOUNT_ISSUER]);
  });

  it('turns a Deployment into a ReplicaSet and Pods, and garbage-collects them when it is deleted', async () => {
    const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
    const labels = { app: 'hello' };
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'hello' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: 'dapr-ts/test-app:dev' }] },
          },
        },
      },
    });
    const pods = await waitFor(
      async () => {
        const list = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=hello' });
        return list.items.length === 2 ? list.items : undefined;
      },
      { what: 'two pods of the hello deployment' },
    );
    const owners = pods.map((p: V1Pod) => p.metadata?.ownerReferences?.[0]?.kind);
    expect(owners).toEqual(['ReplicaSet', 'ReplicaSet']);
    // Every pod gets a projected service-account token volume from the ServiceAccount admission plugin.
    expect(pods[0]?.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-'))).toBe(true);

    await apps.deleteNamespacedDeployment({
      name: 'hello',
      namespace: 'default',
      body: { propagationPolicy: 'Background' },
    });
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=hello' })).items.length ===
        0,
      { what: 'the garbage collector to delete the pods', timeoutMs: 60_000 },
    );
  });

  it('runs kubectl and helm from the cache, and helm installs a chart into the cluster', async () => {
    const kv = await kubectl(['version', '--client']);
    expect(kv.stdout).toMatch(/Client Version: v1\.34\./);
    const helm = new Helm();
    try {
      const hv = await helm.run(['version', '--short']);
      expect(hv.stdout).toMatch(/^v4\./);
      const install = await helm.run(
        [
          'install',
          'demo',
          fixture('charts/hello'),
          '--namespace',
          'helm-test',
          '--create-namespace',
          '--set',
          'greeting=hi',
        ],
        { kubeconfig: cluster.kubeconfigPath },
      );
      expect(install.stderr).toBe('');
      expect(install.code).toBe(0);
      const cm = await core.readNamespacedConfigMap({ name: 'demo-greeting', namespace: 'helm-test' });
      expect(cm.data).toEqual({ greeting: 'hi' });
      const got = await kubectl(
        ['get', 'configmap', 'demo-greeting', '-n', 'helm-test', '-o', 'jsonpath={.data.greeting}'],
        {
          kubeconfig: cluster.kubeconfigPath,
        },
      );
      expect(got.stdout).toBe('hi');
      const uninstall = await helm.run(['uninstall', 'demo', '--namespace', 'helm-test'], {
        kubeconfig: cluster.kubeconfigPath,
      });
      expect(uninstall.code).toBe(0);
    } finally {
      helm.dispose();
    }
  });

  it('stop() ends every process and removes its temp dir', async () => {
    const pids = cluster.processes.map((p) => p.pid);
    expect(pids).toHaveLength(4);
    await cluster.stop();
    expect(cluster.processes.every((p) => !p.running)).toBe(true);
    expect(existsSync(cluster.dir)).toBe(false);
    expect(processesOfRun(runId).filter((pid) => pids.includes(pid))).toEqual([]);
  });
});
