// The real daprd 1.18.3 against our chart-installed sentry and injector:
// - two apps call each other through service invocation (daprd to daprd, mTLS with certificates
//   from our sentry) once a second while each daprd renews its certificate at least three times,
//   and no call fails;
// - a daprd that expects its sentry under another SPIFFE id refuses to start;
// - the injected daprd becomes healthy with the scheduler enabled (the chart's default) and, after
//   `helm upgrade --set global.scheduler.enabled=false`, without it.
// The workload certificate lives one minute (with 5 s of clock skew: daprd renews at half of
// NotBefore..NotAfter, so about every 32 s), so that three renewals take under two minutes.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { daprBinDir, repoRoot } from '../../deps/paths.js';
import { startTestEnvironment, type TestEnvironment } from '../../harness/environment.js';
import { Helm } from '../../harness/tools.js';
import { isPodReady, livePods } from '../../harness/pods.js';
import { waitFor } from '../../../kit/testing/wait.js';
import {
  CONTROL_PLANE_NAMESPACE,
  installControlPlane,
  LOCAL_INSTALL_SETS,
} from '../../demo/control-plane.js';

const DAPRD = join(daprBinDir(), 'daprd');
const RENEWED = 'Successfully renewed workload identity';
const NAMESPACE = 'default';

let env: TestEnvironment;
const helm = new Helm();
const say = (msg: string): void => void process.stdout.write(`[daprd sentry/injector] ${msg}\n`);

beforeAll(async () => {
  if (!existsSync(DAPRD)) throw new Error(`daprd is not built (${DAPRD} is missing): run \`npm run deps\``);
  env = await startTestEnvironment();
  await installControlPlane(env, helm, say, {
    sets: ['global.mtls.workloadCertTTL=1m', 'global.mtls.allowedClockSkew=5s'],
  });
}, 300_000);

afterAll(async () => {
  await env?.stop();
  helm.dispose();
}, 120_000);

function pinger(app: string, target: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${app}
  namespace: ${NAMESPACE}
spec:
  replicas: 1
  selector:
    matchLabels: { app: ${app} }
  template:
    metadata:
      labels: { app: ${app} }
      annotations:
        dapr.io/enabled: "true"
        dapr.io/app-id: ${app}
        dapr.io/app-port: "3000"
    spec:
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: app
          image: dapr-ts/test-app:pinger
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
          env:
            - { name: APP_ID, value: ${app} }
            - { name: TARGET_APP_ID, value: ${target} }
          ports:
            - containerPort: 3000
`;
}

/** The one live pod of an app, once it is Ready. */
async function readyPod(app: string, timeoutMs = 120_000): Promise<V1Pod> {
  return waitFor(
    async () => {
      const live = await livePods(env, NAMESPACE, app);
      return live.length === 1 && isPodReady(live[0]!) ? live[0] : undefined;
    },
    { what: `the pod of ${app} to be Ready`, timeoutMs },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${env.logTails(NAMESPACE, app, 40)}`);
  });
}

interface PingStats {
  readonly ok: number;
  readonly failed: number;
  readonly lastError: string;
}

async function stats(pod: V1Pod): Promise<PingStats> {
  const r = await fetch(`http://${pod.status!.podIP!}:3000/stats`, { signal: AbortSignal.timeout(5000) });
  return (await r.json()) as PingStats;
}

const renewals = (pod: V1Pod): number =>
  env.logs(NAMESPACE, pod.metadata!.name!, 'daprd').split(RENEWED).length - 1;

describe('the real daprd with our sentry', () => {
  it('renews its certificate at least three times while two apps call each other every second, with no failed call', async () => {
    await env.apply(pinger('ping-a', 'ping-b') + '---\n' + pinger('ping-b', 'ping-a'));
    const pods = await Promise.all([readyPod('ping-a'), readyPod('ping-b')]);
    // Counting starts once each app has reached the other: a call made before the peer's pod
    // was Ready fails for a reason that has nothing to do with certificates.
    await waitFor(async () => (await Promise.all(pods.map(stats))).every((s) => s.ok > 0), {
      what: 'both apps to have a successful call',
      timeoutMs: 60_000,
    });
    const t0 = Date.now();
    const start = await Promise.all(pods.map(stats));
    const renewalsAtStart = pods.map(renewals);
    await waitFor(() => pods.every((p, i) => renewals(p) >= renewalsAtStart[i]! + 3), {
      what: 'each daprd to renew its certificate three times',
      timeoutMs: 240_000,
      intervalMs: 1000,
    }).catch((err: Error) => {
      throw new Error(
        `${err.message}: ${pods.map(renewals).join(', ')}\n${env.logTails(NAMESPACE, 'ping', 40)}`,
      );
    });
    // A few more calls after the last renewal, then the counts.
    const before = await Promise.all(pods.map(stats));
    await waitFor(
      async () => (await Promise.all(pods.map(stats))).every((s, i) => s.ok >= before[i]!.ok + 3),
      { what: 'three more calls each after the renewals', timeoutMs: 30_000 },
    );
    const after = await Promise.all(pods.map(stats));
    const ok = after.map((s, i) => s.ok - start[i]!.ok);
    const failed = after.map((s, i) => s.failed - start[i]!.failed);
    say(
      `renewals ${pods.map(renewals).join(' / ')} in ${((Date.now() - t0) / 1000).toFixed(0)} s; ` +
        `calls ok ${ok.join(' / ')}, failed ${failed.join(' / ')} (before the first success: ` +
        `${start.map((s) => s.failed).join(' / ')} failed)`,
    );
    if (failed.some((n) => n > 0)) {
      throw new Error(`calls failed during the renewals\n${env.logTails(NAMESPACE, 'ping', 60)}`);
    }
    for (const n of ok) expect(n).toBeGreaterThanOrEqual(60);
    // Each renewal produced a fresh certificate: sentry counted the signatures.
    const sentry = await env.agent.client.get<V1PodList>(
      `/api/v1/namespaces/${CONTROL_PLANE_NAMESPACE}/pods?labelSelector=app%3Ddapr-sentry`,
    );
    const metrics = await (await fetch(`http://${sentry.items[0]!.status!.podIP!}:9090/metrics`)).text();
    const signed = Number(/^dapr_sentry_cert_sign_success_total(?:\{[^}]*\})? (\S+)$/m.exec(metrics)?.[1]);
    expect(signed).toBeGreaterThanOrEqual(2 * 4);
  }, 420_000);

  it('refuses to start when its sentry presents another SPIFFE id than the one daprd expects', async () => {
    // Two copies of ping-a's injected pod (app and daprd, token volume, annotations but
    // dapr.io/enabled, so the injector leaves them alone). One is told that its control plane
    // lives in namespace "elsewhere": it expects spiffe://cluster.local/ns/elsewhere/dapr-sentry,
    // while our sentry presents .../ns/dapr-system/dapr-sentry. daprd then refuses the TLS
    // handshake and retries without end: it never gets an identity, never starts, is never Ready.
    // The unchanged copy is the control: the same pod gets its identity and becomes Ready.
    const pod = await env.agent.client.get<V1Pod>(
      `/api/v1/namespaces/${NAMESPACE}/pods/${(await readyPod('ping-a')).metadata!.name!}`,
    );
    const annotations = Object.fromEntries(
      Object.entries(pod.metadata!.annotations ?? {}).filter(([k]) => k !== 'dapr.io/enabled'),
    );
    const copy = (name: string, controlPlaneNamespace: string): object => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NAMESPACE, labels: { app: name }, annotations },
      spec: {
        restartPolicy: 'Never',
        serviceAccountName: pod.spec!.serviceAccountName,
        securityContext: pod.spec!.securityContext,
        volumes: pod.spec!.volumes,
        containers: pod.spec!.containers.map((c) => ({
          ...c,
          env: (c.env ?? []).map((e) =>
            e.name === 'DAPR_CONTROLPLANE_NAMESPACE' ? { name: e.name, value: controlPlaneNamespace } : e,
          ),
        })),
      },
    });
    const daprd = pod.spec!.containers.find((c) => c.name === 'daprd')!;
    expect(daprd.env).toContainEqual({ name: 'DAPR_CONTROLPLANE_NAMESPACE', value: CONTROL_PLANE_NAMESPACE });
    await env.agent.client.request(
      'POST',
      `/api/v1/namespaces/${NAMESPACE}/pods`,
      copy('wrong-sentry-id', 'elsewhere'),
    );
    await env.agent.client.request(
      'POST',
      `/api/v1/namespaces/${NAMESPACE}/pods`,
      copy('right-sentry-id', CONTROL_PLANE_NAMESPACE),
    );
    const IDENTITY = 'Security is initialized successfully';
    await waitFor(
      async () =>
        isPodReady(await env.agent.client.get<V1Pod>(`/api/v1/namespaces/${NAMESPACE}/pods/right-sentry-id`)),
      { what: 'the unchanged copy to be Ready', timeoutMs: 90_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${env.logTails(NAMESPACE, 'right-sentry-id', 40)}`);
    });
    expect(env.logs(NAMESPACE, 'right-sentry-id', 'daprd')).toContain(IDENTITY);
    // The other one started as early and has had as long, and longer: 15 s more.
    await new Promise((ok) => setTimeout(ok, 15_000));
    const wrong = await env.agent.client.get<V1Pod>(`/api/v1/namespaces/${NAMESPACE}/pods/wrong-sentry-id`);
    const status = wrong.status?.containerStatuses?.find((c) => c.name === 'daprd');
    const log = env.logs(NAMESPACE, 'wrong-sentry-id', 'daprd');
    expect(status?.state?.running).toBeDefined(); // still trying, not crashed into a restart loop
    expect(status?.ready).toBe(false);
    expect(isPodReady(wrong)).toBe(false);
    expect(log).toContain('Fetching initial identity');
    expect(log).not.toContain(IDENTITY);
    expect(log).not.toContain('dapr initialized. Status: Running.');
    await env.kubectl([
      '-n',
      NAMESPACE,
      'delete',
      'pod',
      'wrong-sentry-id',
      'right-sentry-id',
      '--wait=false',
    ]);
  }, 180_000);
});

describe('the real daprd injected by our injector', () => {
  it('is healthy with the scheduler enabled, its address injected', async () => {
    const pod = await readyPod('ping-a');
    const args = pod.spec!.containers.find((c) => c.name === 'daprd')!.args ?? [];
    expect(args).toContain('--scheduler-host-address');
    expect(env.logs(NAMESPACE, pod.metadata!.name!, 'daprd')).toContain('dapr initialized. Status: Running.');
  });

  it('is healthy with the scheduler disabled (helm upgrade), without a scheduler address', async () => {
    const upgrade = await helm.run(
      [
        'upgrade',
        'dapr',
        join(repoRoot, 'charts', 'dapr'),
        '--namespace',
        CONTROL_PLANE_NAMESPACE,
        '--reuse-values',
        ...[...LOCAL_INSTALL_SETS, 'global.scheduler.enabled=false'].flatMap((s) => ['--set', s]),
      ],
      { kubeconfig: env.cluster.kubeconfigPath },
    );
    expect(upgrade.stderr).not.toMatch(/Error/);
    expect(upgrade.code).toBe(0);
    // The injector restarts with --scheduler-enabled=false; then a new ping-a pod is created.
    await waitFor(
      async () => {
        const pods = await env.agent.client.get<V1PodList>(
          `/api/v1/namespaces/${CONTROL_PLANE_NAMESPACE}/pods?labelSelector=app%3Ddapr-sidecar-injector`,
        );
        return (
          pods.items.length === 1 &&
          isPodReady(pods.items[0]!) &&
          JSON.stringify(pods.items[0]!.spec).includes('--scheduler-enabled=false')
        );
      },
      { what: 'the injector to run with the scheduler disabled', timeoutMs: 120_000 },
    );
    const old = await readyPod('ping-a');
    await env.kubectl(['-n', NAMESPACE, 'delete', 'pod', old.metadata!.name!, '--wait=false']);
    const pod = await waitFor(
      async () => {
        const p = await readyPod('ping-a');
        return p.metadata!.uid !== old.metadata!.uid ? p : undefined;
      },
      { what: 'a new ping-a pod to be Ready', timeoutMs: 120_000 },
    );
    const args = pod.spec!.containers.find((c) => c.name === 'daprd')!.args ?? [];
    expect(args).not.toContain('--scheduler-host-address');
    expect(env.logs(NAMESPACE, pod.metadata!.name!, 'daprd')).toContain('dapr initialized. Status: Running.');
    // And it still calls its peer.
    const before = await stats(pod);
    await waitFor(async () => (await stats(pod)).ok > before.ok, {
      what: 'the new ping-a to call ping-b',
      timeoutMs: 30_000,
    });
  }, 300_000);
});
