// Issue #7 through the real apiserver: our sentry and our injector run as pods (the node agent
// runs them), the chart's MutatingWebhookConfiguration points at the injector's Service, and
// the apiserver reaches the webhook through the Service's EndpointSlice (aggregator routing),
// verifying the serving certificate against the caBundle the injector patched in. A Deployment
// with dapr.io/enabled then yields a stored pod carrying exactly the daprd container our patcher
// builds. Only sentry and the injector run here, and daprd cannot start without the operator,
// so the node agent is told that daprd is absent and this test checks what is injected and what
// daprd would do with it; test/integration/daprd/ runs the real daprd with the whole chart.
import { TokenValidator } from '../../../kit/proto/sentry.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1ConfigMap, V1Pod, V1PodList } from '@kubernetes/client-node';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsrPem } from '../../../kit/x509/csr-builder.js';
import { SentryClient } from '../../../kit/security/sentry-client.js';
import { applyPatch } from '../../../sidecar-injector/patcher/testing/apply-patch.js';
import { testConfig } from '../../../sidecar-injector/patcher/testing/fixtures.js';
import type { Container, Pod } from '../../../sidecar-injector/patcher/k8s-types.js';
import { patchOutcome } from '../../../sidecar-injector/patcher/admission.js';
import { daprBinDir, repoRoot } from '../../deps/paths.js';
import { startTestEnvironment, type TestEnvironment } from '../../harness/environment.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { isPodReady } from '../../harness/pods.js';

const DAPRD = join(daprBinDir(), 'daprd');
const fixture = (dir: string, name: string): string =>
  readFileSync(join(repoRoot, 'test', 'fixtures', dir, name), 'utf8');

let env: TestEnvironment;
const get = <T>(path: string): Promise<T> => env.agent.client.get<T>(path);
async function readyPod(namespace: string, app: string, timeoutMs = 90_000): Promise<V1Pod> {
  return waitFor(
    async () => {
      const pods = (await get<V1PodList>(`/api/v1/namespaces/${namespace}/pods?labelSelector=app%3D${app}`))
        .items;
      return pods.length === 1 && isPodReady(pods[0]!) ? pods[0] : undefined;
    },
    { what: `${app} to be Ready`, timeoutMs },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${env.logTails(namespace, app)}`);
  });
}

beforeAll(async () => {
  env = await startTestEnvironment({
    agent: {
      backoff: { initialMs: 1000, maxMs: 5000 },
      // Without an operator the real daprd would only fail; the agent reports it as absent.
      imagePaths: { exists: (path) => path !== DAPRD && existsSync(path) },
    },
  });
}, 180_000);

afterAll(async () => {
  await env?.stop();
}, 120_000);

describe('a Deployment with dapr.io/enabled, through the real apiserver and our injector', () => {
  let injectorPod: V1Pod;

  it('runs our sentry and our injector as pods; the injector gets its certificate and patches the caBundle', async () => {
    await env.apply(fixture('upstream-control-plane', 'crds.yaml'));
    await waitFor(
      async () =>
        (
          await env.kubectl([
            'wait',
            '--for=condition=Established',
            '--timeout=20s',
            'crd',
            '-l',
            'app.kubernetes.io/part-of=dapr',
          ])
        ).code === 0,
      { what: 'the dapr.io CRDs to be established' },
    );
    await env.apply(fixture('upstream-control-plane', 'base.yaml'));
    await env.apply(fixture('injector', 'sentry.yaml'));
    await readyPod('dapr-system', 'dapr-sentry');
    const t0 = Date.now();
    await env.apply(fixture('injector', 'injector.yaml'));
    injectorPod = await readyPod('dapr-system', 'dapr-sidecar-injector');
    process.stdout.write(`[injector] Deployment → Ready: ${Date.now() - t0} ms\n`);

    const cm = await get<V1ConfigMap>('/api/v1/namespaces/dapr-system/configmaps/dapr-trust-bundle');
    const mwc = await get<{ webhooks: { clientConfig: { caBundle?: string } }[] }>(
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/dapr-sidecar-injector',
    );
    expect(Buffer.from(mwc.webhooks[0]!.clientConfig.caBundle ?? '', 'base64').toString()).toBe(
      cm.data?.['ca.crt'],
    );
    // The serving certificate: RSA, the Service DNS name, signed under those anchors.
    const served = await new Promise<X509Certificate>((resolve, reject) => {
      void import('node:tls').then(({ connect }) => {
        const sock = connect(
          {
            host: injectorPod.status!.podIP!,
            port: 4000,
            servername: 'dapr-sidecar-injector.dapr-system.svc',
            ca: cm.data!['ca.crt'],
          },
          () => {
            const cert = sock.getPeerX509Certificate();
            sock.destroy();
            if (cert === undefined) reject(new Error('no peer certificate'));
            else resolve(cert);
          },
        );
        sock.on('error', reject);
      });
    });
    expect(served.publicKey.asymmetricKeyType).toBe('rsa');
    expect(served.subjectAltName).toContain('DNS:dapr-sidecar-injector.dapr-system.svc');
    expect(served.subjectAltName).toContain('URI:spiffe://cluster.local/ns/dapr-system/dapr-injector');
  });

  it('stores the Deployment pod with the daprd container exactly as our patcher builds it', async () => {
    await env.apply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: orders, namespace: default }
spec:
  replicas: 1
  selector: { matchLabels: { app: orders } }
  template:
    metadata:
      labels: { app: orders }
      annotations:
        dapr.io/enabled: "true"
        dapr.io/app-id: orders
        dapr.io/app-port: "8080"
        dapr.io/log-level: debug
    spec:
      containers:
        - name: app
          image: dapr-ts/test-app:echo
          ports: [{ containerPort: 8080 }]
`);
    const pod = await waitFor(
      async () =>
        (await get<V1PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dorders')).items[0],
      { what: 'the orders pod to be created', timeoutMs: 60_000 },
    );
    const stored = pod as unknown as Pod;
    const daprd = stored.spec?.containers?.find((c) => c.name === 'daprd');
    expect(daprd).toBeDefined();
    expect(stored.metadata?.labels).toMatchObject({
      'dapr.io/sidecar-injected': 'true',
      'dapr.io/app-id': 'orders',
      'dapr.io/metrics-enabled': 'true',
    });

    // What our patcher makes of the pod as the apiserver handed it to the webhook: the stored
    // pod without what the injection added (the apiserver's defaults were there already).
    const added = new Set(['dapr-identity-token']);
    const before: Pod = {
      ...stored,
      metadata: {
        ...stored.metadata,
        labels: { app: 'orders', 'pod-template-hash': stored.metadata!.labels!['pod-template-hash']! },
      },
      spec: {
        ...stored.spec,
        containers: stored.spec!.containers!.filter((c) => c.name !== 'daprd').map(withoutInjectedEnv),
        volumes: (stored.spec!.volumes ?? []).filter((v) => !added.has(v.name)),
      },
    };
    const anchors = (await get<V1ConfigMap>('/api/v1/namespaces/dapr-system/configmaps/dapr-trust-bundle'))
      .data!['ca.crt']!;
    const outcome = patchOutcome(
      before,
      testConfig(before, { request: { namespace: 'default', trustAnchors: anchors, mtlsEnabled: true } }),
    );
    expect(outcome.kind).toBe('patch');
    const expected = applyPatch(before, outcome.kind === 'patch' ? outcome.ops : []);
    const expectedDaprd = expected.spec!.containers!.find((c) => c.name === 'daprd')!;
    // The stored container is the expected one plus the apiserver's defaults (terminationMessagePath,
    // probe scheme and successThreshold, ...): every field we set is there with our value, and
    // arrays (args, env, ports, mounts) are equal element by element, in order.
    // The apiserver's ServiceAccount admission plugin runs again after the webhook (reinvocation)
    // and mounts the pod's kube-api-access-* volume into every container, daprd included, as on
    // any cluster: that one mount, last in the list, is not ours.
    const mounts = daprd!.volumeMounts ?? [];
    expect(mounts.at(-1)?.name).toMatch(/^kube-api-access-/);
    const ours = { ...daprd!, volumeMounts: mounts.slice(0, -1) };
    expect(ours).toMatchObject(expectedDaprd);
    expect(ours.volumeMounts).toEqual(expectedDaprd.volumeMounts);
    expect(daprd!.args).toEqual(expectedDaprd.args);
    // Env: same names in the same order; values compared by toMatchObject above (the apiserver
    // adds fieldRef.apiVersion: v1 to POD_NAME).
    expect(daprd!.env!.map((e) => e.name)).toEqual(expectedDaprd.env!.map((e) => e.name));
    expect(stored.spec!.volumes!.map((v) => v.name)).toEqual(expected.spec!.volumes!.map((v) => v.name));
    expect(stored.spec!.containers!.find((c) => c.name === 'app')!.env).toEqual(
      expected.spec!.containers!.find((c) => c.name === 'app')!.env,
    );
  });

  it('the node agent runs the app and reports daprd as unavailable (the agent was told it is absent)', async () => {
    const status = await waitFor(
      async () => {
        const pod = (await get<V1PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dorders'))
          .items[0];
        const daprd = pod?.status?.containerStatuses?.find((c) => c.name === 'daprd');
        const app = pod?.status?.containerStatuses?.find((c) => c.name === 'app');
        return daprd?.state?.waiting?.reason !== undefined && app?.state?.running !== undefined
          ? { daprd, app }
          : undefined;
      },
      { what: 'the orders pod to report its containers', timeoutMs: 60_000 },
    );
    expect(status.daprd.state?.waiting?.reason).toBe('DaprdUnavailable');
    expect(status.daprd.state?.waiting?.message).toContain('daprd');
    expect(status.daprd.ready).toBe(false);
    expect(status.app.state?.running).toBeDefined();
  });

  it("daprd's side of the identity, from what was injected, gets a certificate from our sentry", async () => {
    // daprd does not run in this suite, so the test does what daprd does at start with exactly the
    // injected material: the token from the injected dapr-identity-token volume (a TokenRequest
    // with that volume's audience and lifetime, bound to the pod, as a kubelet writes it), the
    // sentry address and trust anchors from daprd's args and env, and SignCertificate for its app id.
    const pod = (await get<V1PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dorders'))
      .items[0]!;
    const daprd = pod.spec!.containers.find((c) => c.name === 'daprd')!;
    const arg = (flag: string): string => daprd.args![daprd.args!.indexOf(flag) + 1]!;
    expect(arg('--sentry-address')).toBe('dapr-sentry.dapr-system.svc.cluster.local:443');
    const anchors = daprd.env!.find((e) => e.name === 'DAPR_TRUST_ANCHORS')!.value!;
    const projection = pod.spec!.volumes!.find((v) => v.name === 'dapr-identity-token')!.projected!
      .sources![0]!.serviceAccountToken!;
    const tokenRequest = await env.agent.client.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/default/serviceaccounts/${pod.spec!.serviceAccountName}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: [projection.audience],
          expirationSeconds: projection.expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name, uid: pod.metadata!.uid },
        },
      },
    );
    // The Service dapr-sentry:443 leads to the sentry pod's 50001 (what the name resolves to in a pod).
    const sentryPod = await readyPod('dapr-system', 'dapr-sentry');
    const client = new SentryClient({
      address: `${sentryPod.status!.podIP}:50001`,
      trustAnchorsPem: Buffer.from(anchors),
      sentryId: 'spiffe://cluster.local/ns/dapr-system/dapr-sentry',
    });
    try {
      const key = generateKeyPairSync('ed25519').privateKey;
      const response = await client.signCertificate({
        id: arg('--app-id'),
        namespace: 'default',
        trustDomain: '',
        token: tokenRequest.status.token,
        tokenValidator: TokenValidator.KUBERNETES,
        certificateSigningRequest: createCsrPem(key),
        jwtAudiences: [],
      });
      const leaf = new X509Certificate(response.workloadCertificate);
      expect(leaf.subjectAltName).toContain('URI:spiffe://public/ns/default/orders');
      expect(leaf.checkPrivateKey(key)).toBe(true);
    } finally {
      client.close();
    }
  });

  it('counts the injection in the upstream metric', async () => {
    const metrics = await (await fetch(`http://${injectorPod.status!.podIP}:9090/`)).text();
    expect(metrics).toMatch(/^dapr_injector_sidecar_injection_succeeded_total\{app_id="orders"\} [1-9]/m);
  });
});

interface CoreEvent {
  metadata: { name: string };
  involvedObject: { kind: string; name: string; uid?: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  source?: { component?: string };
}

/** The Events our injector wrote with `reason` in `namespace` whose object's name starts with `prefix`. */
async function injectorEvents(namespace: string, reason: string, prefix: string): Promise<CoreEvent[]> {
  const selector = encodeURIComponent(`reason=${reason}`);
  const list = await get<{ items: CoreEvent[] }>(
    `/api/v1/namespaces/${namespace}/events?fieldSelector=${selector}`,
  );
  return list.items.filter(
    (e) => e.involvedObject.name.startsWith(prefix) && e.source?.component === 'dapr-sidecar-injector',
  );
}

function waitInjectorEvent(namespace: string, reason: string, prefix: string): Promise<CoreEvent> {
  return waitFor(async () => (await injectorEvents(namespace, reason, prefix))[0], {
    what: `a ${reason} Event on ${namespace}/${prefix}*`,
    timeoutMs: 60_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${env.logTails('dapr-system', 'dapr-sidecar-injector')}`);
  });
}

function deploymentYaml(name: string, annotations: Record<string, string>): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: default }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata:
      labels: { app: ${name} }
      annotations: ${JSON.stringify(annotations)}
    spec:
      containers: [{ name: app, image: dapr-ts/test-app:echo }]
`;
}

// docs/injector.md, "When daprd is missing": each decline leaves a Warning Event on the pod's owner.
describe('a pod that asks for Dapr and is declined: the injector says why in an Event on its owner', () => {
  it('dapr.io/enabled: "yes": InvalidDaprEnabledAnnotation on the ReplicaSet, and the pod runs without daprd', async () => {
    await env.apply(deploymentYaml('yesapp', { 'dapr.io/enabled': 'yes', 'dapr.io/app-id': 'yesapp' }));
    const event = await waitInjectorEvent('default', 'InvalidDaprEnabledAnnotation', 'yesapp-');
    expect(event.type).toBe('Warning');
    expect(event.involvedObject.kind).toBe('ReplicaSet');
    expect(event.message).toContain('dapr.io/enabled: "yes"');
    expect(event.message).toContain('dapr.io/enabled: "true"');
    const rs = await get<{ metadata: { uid: string } }>(
      `/apis/apps/v1/namespaces/default/replicasets/${event.involvedObject.name}`,
    );
    expect(event.involvedObject.uid).toBe(rs.metadata.uid);
    // The Event is written during admission, before the apiserver stores the pod: wait for it.
    const pod = await waitFor(
      async () =>
        (await get<V1PodList>('/api/v1/namespaces/default/pods?labelSelector=app%3Dyesapp')).items[0],
      { what: 'the declined yesapp pod to be stored', timeoutMs: 30_000 },
    );
    expect(pod.spec!.containers.map((c) => c.name)).toEqual(['app']);
    await env.kubectl(['delete', 'deployment', 'yesapp', '-n', 'default', '--wait=false']);
  }, 120_000);

  it('an invalid app-id (the pod is rejected, the ReplicaSet retries): one InvalidDaprAppId Event, not one per retry', async () => {
    await env.apply(deploymentYaml('badid', { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'Bad_Id' }));
    const event = await waitInjectorEvent('default', 'InvalidDaprAppId', 'badid-');
    expect(event.involvedObject.kind).toBe('ReplicaSet');
    expect(event.message).toContain('invalid app id "Bad_Id"');
    // The ReplicaSet controller keeps re-creating the pod (with its own backoff); each decline
    // is aggregated into the same Event, never a new one per attempt.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const retries = (
      await get<{ items: CoreEvent[] }>(
        `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent('reason=FailedCreate')}`,
      )
    ).items.filter((e) => e.involvedObject.name.startsWith('badid-'));
    expect(retries.reduce((n, e) => n + (e.count || 1), 0)).toBeGreaterThan(1);
    expect(await injectorEvents('default', 'InvalidDaprAppId', 'badid-')).toHaveLength(1);
    await env.kubectl(['delete', 'deployment', 'badid', '-n', 'default', '--wait=false']);
  }, 120_000);

  it("a caller that may not inject (a custom controller): DaprInjectionCallerNotAllowed on the pod's owner", async () => {
    // A controller's service account that is not on the allow list creates a pod for its custom
    // object (a ConfigMap stands in for it), as operators such as workflow engines do.
    await env.apply(`
apiVersion: v1
kind: ConfigMap
metadata: { name: job-owner, namespace: default }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: pod-maker, namespace: default }
rules: [{ apiGroups: [''], resources: [pods], verbs: [create, get, list, delete] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: pod-maker, namespace: default }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-maker }
subjects: [{ kind: ServiceAccount, name: builder, namespace: default }]
`);
    const owner = await get<{ metadata: { uid: string } }>('/api/v1/namespaces/default/configmaps/job-owner');
    const dir = mkdtempSync(join(tmpdir(), 'dapr-ts-declined-'));
    try {
      const file = join(dir, 'pod.json');
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            generateName: 'job-owner-',
            namespace: 'default',
            labels: { app: 'job-owner' },
            annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'jobs' },
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                name: 'job-owner',
                uid: owner.metadata.uid,
                controller: true,
              },
            ],
          },
          spec: { containers: [{ name: 'app', image: 'dapr-ts/test-app:echo' }] },
        }),
      );
      const created = await env.kubectl(['create', '-f', file, '--as=system:serviceaccount:default:builder']);
      expect(created.stderr).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const event = await waitInjectorEvent('default', 'DaprInjectionCallerNotAllowed', 'job-owner');
    expect(event.involvedObject).toMatchObject({
      kind: 'ConfigMap',
      name: 'job-owner',
      uid: owner.metadata.uid,
    });
    expect(event.message).toContain('system:serviceaccount:default:builder');
    expect(event.message).toContain('allowedServiceAccounts');
    await env.kubectl(['delete', 'pods', '-n', 'default', '-l', 'app=job-owner', '--wait=false']);
  }, 120_000);
});

/** An app container as it was before the injector added its variables. */
function withoutInjectedEnv(c: Container): Container {
  const env = (c.env ?? []).filter(
    (e) => !['DAPR_HTTP_PORT', 'DAPR_GRPC_PORT', 'APP_PROTOCOL'].includes(e.name),
  );
  const copy: Record<string, unknown> = { ...c, env };
  if (env.length === 0) delete copy.env;
  return copy as unknown as Container;
}
