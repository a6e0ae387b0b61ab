// The acceptance test of issue #7: the same AdmissionReviews go to our injector and to upstream's
// Go injector v1.18.3, both run as the chart runs them (serving certificate from our sentry, the
// trust anchors file, the chart's env), over HTTPS verified like the apiserver does. Each patch
// is applied to the pod and the patched pods must be identical, arrays in order.
//
// Normalised, explicitly and only:
//  - the env entries the injector appends to app containers (DAPR_HTTP_PORT, DAPR_GRPC_PORT,
//    APP_PROTOCOL): Go emits those ops while iterating a map, so their order is random per run
//    (docs/contracts/injector-and-chart.md §1.5); they are compared as a set, everything else in order;
//  - denial messages: both must deny (allowed=false) with a non-empty message; the wording is ours.
// Deliberate differences (docs/contracts/injector-and-chart.md §7 Go quirks) are listed in KNOWN_DIFFERENCES and asserted to be
// exactly that difference.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPatch } from '../../../sidecar-injector/patcher/testing/apply-patch.js';
import type { PatchOperation } from '../../../sidecar-injector/patcher/k8s-types.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { metricValue, scrape } from '../../harness/service-probes.js';
import { healthz } from '../../../kit/testing/service-binary.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { corpusPod, differentialCorpus, environmentCorpus, type CorpusCase } from './corpus.js';
import { kubectl } from '../../harness/tools.js';
import {
  AdmissionClient,
  CONTROL_PLANE_NS,
  podReview,
  startInjector,
  startInjectorControlPlane,
  type InjectorControlPlane,
  type InjectorVariant,
  type RunningInjector,
} from './support.js';

const corpusPodFor = (appId: string): Record<string, unknown> =>
  corpusPod({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': appId });

interface Outcome {
  readonly status: number;
  readonly allowed?: boolean;
  readonly message?: string;
  readonly pod?: unknown;
  readonly uid?: string;
}

interface ReviewResponse {
  response?: {
    uid?: string;
    allowed?: boolean;
    patch?: string;
    patchType?: string;
    status?: { message?: string };
  };
}

const APP_ENV = new Set(['DAPR_HTTP_PORT', 'DAPR_GRPC_PORT', 'APP_PROTOCOL']);

/** Sorts the injector-added app env entries to the end, by name (see the header). */
function normalise(pod: unknown): unknown {
  const copy = structuredClone(pod) as { spec?: { containers?: { env?: { name: string }[] }[] } };
  for (const c of copy.spec?.containers ?? []) {
    if (c.env === undefined) continue;
    const kept = c.env.filter((e) => !APP_ENV.has(e.name));
    const added = c.env.filter((e) => APP_ENV.has(e.name)).sort((a, b) => a.name.localeCompare(b.name));
    c.env = [...kept, ...added];
  }
  return copy;
}

function outcomeOf(c: CorpusCase, answer: { status: number; body: string }): Outcome {
  if (answer.status !== 200) return { status: answer.status };
  const review = JSON.parse(answer.body) as ReviewResponse;
  const r = review.response ?? {};
  const ops =
    r.patch === undefined ? [] : (JSON.parse(Buffer.from(r.patch, 'base64').toString()) as PatchOperation[]);
  return {
    status: 200,
    uid: r.uid,
    allowed: r.allowed,
    message: r.status?.message,
    pod: r.allowed === true ? normalise(applyPatch(c.pod, ops)) : undefined,
  };
}

/** Upstream bugs we fix on purpose (docs/contracts/injector-and-chart.md §7); the test names and checks each difference. */
const KNOWN_DIFFERENCES: Readonly<Record<string, (ours: Outcome, go: Outcome) => void>> = {
  // Upstream's components-socket volume op replaces the whole /spec/volumes array of a pod that
  // had no volumes, dropping dapr-identity-token; ours keeps both volumes.
  'golden/pluggable-components': (ours, go) => {
    const names = (o: Outcome): string[] =>
      ((o.pod as { spec: { volumes?: { name: string }[] } }).spec.volumes ?? []).map((v) => v.name);
    expect(names(go)).toEqual(['dapr-components-unix-domain-socket']);
    expect(names(ours)).toEqual(['dapr-identity-token', 'dapr-components-unix-domain-socket']);
    const withoutVolumes = (o: Outcome): unknown => ({
      ...(o.pod as object),
      spec: { ...(o.pod as { spec: object }).spec, volumes: undefined },
    });
    expect(withoutVolumes(ours)).toEqual(withoutVolumes(go));
  },
};

/** Sends one review to both injectors and asserts the outcomes match (see the header). */
async function compareCase(
  c: CorpusCase,
  ourClient: AdmissionClient,
  goClient: AdmissionClient,
): Promise<{ ours: Outcome; go: Outcome }> {
  const uid = `uid-${c.name}`;
  const review = podReview(uid, c.pod, { namespace: c.namespace, user: c.user, kind: c.kind });
  const [o, g] = await Promise.all([ourClient.post(review), goClient.post(review)]);
  const ours = outcomeOf(c, o);
  const go = outcomeOf(c, g);
  expect(ours.status).toBe(200);
  expect(go.status).toBe(200);
  expect(ours.uid).toBe(uid);
  expect(ours.allowed).toBe(go.allowed);
  if (go.allowed === false) {
    expect(go.message).toBeTruthy();
    expect(ours.message).toBeTruthy();
  } else {
    const known = KNOWN_DIFFERENCES[c.name];
    if (known !== undefined) known(ours, go);
    else expect(ours.pod).toEqual(go.pod);
  }
  return { ours, go };
}

describe('our injector and upstream Go injector v1.18.3 patch pods identically', () => {
  let cluster: TestCluster;
  let dir: string;
  let plane: InjectorControlPlane;
  let ours: RunningInjector | undefined;
  let go: RunningInjector | undefined;
  let ourClient: AdmissionClient;
  let goClient: AdmissionClient;
  const corpus = differentialCorpus();
  const results = new Map<string, { ours: Outcome; go: Outcome }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-injector-diff-`));
    cluster = await startTestCluster();
    plane = await startInjectorControlPlane(cluster, dir, {
      namespace: CONTROL_PLANE_NS,
      name: 'dapr-sidecar-injector',
    });
    // Components whose containers a pod can ask for (dapr.io/inject-pluggable-components).
    const custom = cluster.kubeConfig.makeApiClient(CustomObjectsApi);
    const component = (name: string, container: object, scopes?: string[]): Promise<unknown> =>
      custom.createNamespacedCustomObject({
        group: 'dapr.io',
        version: 'v1alpha1',
        namespace: 'default',
        plural: 'components',
        body: {
          apiVersion: 'dapr.io/v1alpha1',
          kind: 'Component',
          metadata: { name, annotations: { 'dapr.io/component-container': JSON.stringify(container) } },
          spec: { type: 'state.my-store', version: 'v1', metadata: [] },
          ...(scopes ? { scopes } : {}),
        },
      });
    await component('a-store', {
      image: 'example/store:1',
      volumeMounts: [{ name: 'store-cache', mountPath: '/cache' }],
    });
    await component('b-same-image', { name: 'dup', image: 'example/store:1' });
    await component('c-scoped-elsewhere', { image: 'example/other:1' }, ['someone-else']);
    await component('d-scoped-here', { name: 'scoped', image: 'example/scoped:1' }, ['rules']);
    // The UID-only caller case needs kube-system/replicaset-controller in the service-account
    // lists both injectors take at start-up; the controller manager creates it only shortly after
    // the cluster starts, so a fast start could list before it exists.
    const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
    await waitFor(
      () => core.readNamespacedServiceAccount({ namespace: 'kube-system', name: 'replicaset-controller' }),
      { what: 'the service account kube-system/replicaset-controller', timeoutMs: 60_000 },
    );
    [go, ours] = await Promise.all([
      startInjector('go', cluster, plane, dir),
      startInjector('ours', cluster, plane, dir),
    ]);
    const anchors = readFileSync(plane.anchorsFile);
    ourClient = new AdmissionClient(ours.port, anchors);
    goClient = new AdmissionClient(go.port, anchors);
  }, 300_000);

  afterAll(async () => {
    ourClient?.close();
    goClient?.close();
    await ours?.proc.stop();
    await go?.proc.stop();
    await plane?.sentry.proc.stop();
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the corpus covers at least 40 pods and every annotation, valid and invalid', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    const names = new Set(corpus.map((c) => c.name));
    expect(names.has('valid/enable-native-sidecar') && names.has('invalid/enable-native-sidecar')).toBe(true);
    // 62 annotations besides enabled and app-id, each valid and invalid.
    expect(corpus.filter((c) => c.name.startsWith('valid/')).length).toBe(62);
    expect(corpus.filter((c) => c.name.startsWith('invalid/')).length).toBe(62);
  });

  it('both injectors serve the sentry-issued certificate for the Service DNS name (verified by the clients)', async () => {
    // AdmissionClient trusts only the anchors and checks dapr-sidecar-injector.dapr-system.svc.
    const review = podReview('tls-check', { metadata: {}, spec: {} });
    expect((await ourClient.post(review)).status).toBe(200);
    expect((await goClient.post(review)).status).toBe(200);
  });

  it.each(differentialCorpus().map((c) => [c.name, c] as const))('%s', async (name, c) => {
    results.set(name, await compareCase(c, ourClient, goClient));
  });

  it('a caller matched only by a service-account UID listed at start-up is injected by both', async () => {
    const sa = await cluster.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedServiceAccount({ namespace: 'kube-system', name: 'replicaset-controller' });
    const c: CorpusCase = {
      name: 'caller/uid-only',
      pod: corpusPodFor('by-uid'),
      user: { username: 'someone-renamed', uid: sa.metadata!.uid!, groups: [] },
    };
    const { ours: o, go: g } = await compareCase(c, ourClient, goClient);
    expect(JSON.stringify(o.pod)).toContain('"name":"daprd"');
    expect(g.allowed).toBe(true);
    results.set(c.name, { ours: o, go: g });
  });

  it('both counted the same injections', async () => {
    const series = 'dapr_injector_sidecar_injection_requests_total';
    const ourCount = metricValue(await scrape(ours!.metricsPort), series);
    const goCount = metricValue(await scrape(go!.metricsPort), series);
    expect(ourCount).toBeGreaterThanOrEqual(corpus.length + 1);
    expect(ourCount).toBe(goCount);
    expect(results.size).toBe(corpus.length + 1);
    // The comparison was about real patches: most cases injected daprd, some were denied.
    const hasDaprd = (o: Outcome): boolean => {
      const spec = (
        o.pod as { spec?: { containers?: { name: string }[]; initContainers?: { name: string }[] } }
      )?.spec;
      return [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].some((c) => c.name === 'daprd');
    };
    const injected = [...results.values()].filter((r) => hasDaprd(r.go) && hasDaprd(r.ours)).length;
    const denied = [...results.values()].filter((r) => r.go.allowed === false).length;
    expect(injected).toBeGreaterThanOrEqual(120);
    expect(denied).toBeGreaterThanOrEqual(4);
  });

  it.each<[string, () => [string, string?], number, string]>([
    ['malformed JSON', () => ['{"apiVersion":'], 400, 'the body is not valid JSON'],
    [
      'a ConversionReview',
      () => [
        JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', request: {} }),
      ],
      400,
      'expected kind AdmissionReview',
    ],
    ['text/plain', () => ['{}', 'text/plain'], 415, 'invalid Content-Type'],
    ['an 8 MiB body', () => [`{"x":"${'a'.repeat(8 * 1024 * 1024)}"}`], 413, 'request body too large'],
  ])(
    'bad input over HTTPS (%s): a status with a reason, and the process stays healthy',
    async (_n, make, status, reason) => {
      const [body, contentType] = make();
      const answer = await ourClient.post(body, contentType);
      expect(answer.status).toBe(status);
      expect(answer.body).toContain(reason);
      expect(await healthz(ours!.healthzPort)).toBe(200);
      expect(ours!.proc.running).toBe(true);
    },
  );

  it('follows a trust-anchor rotation: caBundle and DAPR_TRUST_ANCHORS both carry the new bundle', async () => {
    // A second root next to the current one, as during a root rotation (the chart's ConfigMap
    // changes; here the mounted file does).
    const extra = execFileSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/O=rotated-root',
      '-days',
      '1',
      '-keyout',
      '/dev/null',
    ]).toString();
    const rotated = `${readFileSync(plane.anchorsFile, 'utf8')}${extra}`;
    // Replaced in one step, as the kubelet updates a mounted ConfigMap: a reader woken by the
    // change never sees a half-written file (a truncate-then-write could leave Go's watcher
    // with an empty read and no later event).
    writeFileSync(`${plane.anchorsFile}.new`, rotated);
    renameSync(`${plane.anchorsFile}.new`, plane.anchorsFile);
    const admission = cluster.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    await waitFor(
      async () => {
        const mwc = await admission.readMutatingWebhookConfiguration({ name: 'dapr-sidecar-injector' });
        const bundle = mwc.webhooks?.[0]?.clientConfig.caBundle;
        return bundle !== undefined && Buffer.from(bundle, 'base64').toString() === rotated;
      },
      { what: 'the caBundle to carry the rotated anchors', timeoutMs: 30_000 },
    );
    const c = { name: 'rotation', pod: corpusPodFor('rotation') };
    const anchorsIn = async (client: AdmissionClient): Promise<string | undefined> => {
      const o = outcomeOf(c, await client.post(podReview('uid-rotation', c.pod)));
      const daprd = (
        o.pod as { spec: { containers: { name: string; env: { name: string; value?: string }[] }[] } }
      ).spec.containers.find((x) => x.name === 'daprd');
      return daprd?.env.find((e) => e.name === 'DAPR_TRUST_ANCHORS')?.value;
    };
    await waitFor(async () => (await anchorsIn(ourClient)) === rotated, {
      what: 'our injector to inject the rotated anchors',
      timeoutMs: 60_000,
    });
    await waitFor(async () => (await anchorsIn(goClient)) === rotated, {
      what: 'the Go injector to inject the rotated anchors',
      timeoutMs: 60_000,
    });
    expect(await healthz(ours!.healthzPort)).toBe(200);
  });

  /** Injector environments other than the chart's defaults (docs/contracts/injector-and-chart.md §3.9, §3.10), one pair each. */
  const variants: readonly [string, InjectorVariant, boolean][] = [
    [
      'actors and reminders on the scheduler, scheduler off, downward API, run-as ids, drop ALL, mTLS off',
      {
        env: {
          ACTORS_SERVICE_NAME: 'scheduler',
          ACTORS_SERVICE_ADDRESS: 'dapr-scheduler-server:50006',
          REMINDERS_SERVICE_NAME: 'scheduler',
          REMINDERS_SERVICE_ADDRESS: 'dapr-scheduler-server:50006',
          ENABLE_K8S_DOWNWARD_APIS: 'true',
          SIDECAR_RUN_AS_USER: '1000',
          SIDECAR_RUN_AS_GROUP: '3000',
          SIDECAR_DROP_ALL_CAPABILITIES: 'true',
        },
        args: ['--scheduler-enabled=false'],
      },
      false,
    ],
    [
      'native sidecars, reminders "default", actors off, another cluster domain, writable root, odd pull policy',
      {
        env: {
          NATIVE_SIDECAR_ENABLED: 'true',
          REMINDERS_SERVICE_NAME: 'default',
          ACTORS_ENABLED: 'false',
          KUBE_CLUSTER_DOMAIN: 'example.internal',
          SIDECAR_RUN_AS_NON_ROOT: 'false',
          SIDECAR_READ_ONLY_ROOT_FILESYSTEM: 'false',
          SIDECAR_IMAGE_PULL_POLICY: 'Sometimes',
          IGNORE_ENTRYPOINT_TOLERATIONS: 'not json',
        },
      },
      true,
    ],
  ];

  describe.each(variants.map((v, i) => [v[0], i] as const))('injector environment: %s', (_title, index) => {
    const [, variant, mtls] = variants[index]!;
    let ours2: RunningInjector | undefined;
    let go2: RunningInjector | undefined;
    let ourClient2: AdmissionClient;
    let goClient2: AdmissionClient;

    beforeAll(async () => {
      const name = `v${index}`;
      [go2, ours2] = await Promise.all([
        startInjector('go', cluster, plane, dir, { ...variant, name: `go-${name}` }),
        startInjector('ours', cluster, plane, dir, { ...variant, name: `ours-${name}` }),
      ]);
      const anchors = readFileSync(plane.anchorsFile);
      ourClient2 = new AdmissionClient(ours2.port, anchors);
      goClient2 = new AdmissionClient(go2.port, anchors);
      await setMtls(mtls);
      // Go reads daprsystem on every request; ours follows it through a watch.
      const probe = { name: 'mtls-probe', pod: corpusPodFor('mtls-probe') };
      await waitFor(
        async () => {
          const o = outcomeOf(probe, await ourClient2.post(podReview('mtls', probe.pod)));
          const spec = (
            o.pod as {
              spec: {
                containers?: { name: string; args?: string[] }[];
                initContainers?: { name: string; args?: string[] }[];
              };
            }
          ).spec;
          const daprd = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find(
            (x) => x.name === 'daprd',
          );
          return (daprd?.args ?? []).includes('--enable-mtls') === mtls;
        },
        { what: `our injector to see mTLS ${mtls ? 'on' : 'off'}`, timeoutMs: 30_000 },
      );
    }, 120_000);

    afterAll(async () => {
      ourClient2?.close();
      goClient2?.close();
      await ours2?.proc.stop();
      await go2?.proc.stop();
      await setMtls(true);
    }, 60_000);

    it.each(environmentCorpus().map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      await compareCase(c, ourClient2, goClient2);
    });
  });

  async function setMtls(enabled: boolean): Promise<void> {
    const r = await kubectl(
      [
        'patch',
        'configurations.dapr.io',
        'daprsystem',
        '-n',
        CONTROL_PLANE_NS,
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { mtls: { enabled } } }),
      ],
      { kubeconfig: cluster.kubeconfigPath },
    );
    if (r.code !== 0) throw new Error(`kubectl patch daprsystem failed: ${r.stderr}`);
  }

  it('our injector stops cleanly on SIGTERM (exit 0) after all of this', async () => {
    const code = await ours!.proc.stop();
    expect(code).toBe(0);
    expect(ours!.proc.logTail(20)).toContain('Shutdown complete');
  });
});
