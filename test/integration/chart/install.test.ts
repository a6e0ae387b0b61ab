// charts/dapr on a real apiserver with pods run by the node agent: every variant's objects pass
// server-side validation, `helm install` creates every object, our four services (started from
// the rendered pod specs) and Dapr's scheduler become Ready, `helm test` passes, the documented
// CRD upgrade works, and `helm uninstall` leaves nothing but the CRDs. Our services run from the
// image users install (npm run image), under runc in the pods' network namespaces. Pod Security `restricted`
// is enforced on dapr-system and the apps' namespace.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parseAllDocuments } from 'yaml';
import { startTestEnvironment, type TestEnvironment } from '../../harness/environment.js';
import { imageArchive } from '../../harness/oci-runtime.js';
import { enforceRestricted } from '../../harness/pod-security.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { Helm, run, type ToolResult } from '../../harness/tools.js';
import { waitFor } from '../../../kit/testing/wait.js';
import { cachedBinary } from '../../deps/paths.js';
import { chartDir, renderArgs, upstreamValuesFiles, type K8sObject } from '../../chart/render.js';
import { isPodReady } from '../../harness/pods.js';

const NS = 'dapr-system';
// The test cluster has no volume provisioner (PVCs are refused by the node agent): the
// scheduler keeps its etcd in memory. Everything else is the chart's defaults.
const INSTALL_SETS = ['dapr_scheduler.cluster.inMemoryStorage=true'];
/** Replicas with default values: one of each service; the scheduler always runs three (an etcd cluster). */
const replicasOf = (app: string): number => (app === 'dapr-scheduler-server' ? 3 : 1);
const WORKLOADS = [
  'dapr-sentry',
  'dapr-operator',
  'dapr-sidecar-injector',
  'dapr-placement-server',
  'dapr-scheduler-server',
];

let env: TestEnvironment;
let helm: Helm;
let dir: string;
/** When `helm install` started, for the time-to-Ready numbers. */
let installedAt = 0;

const helmIn = (args: readonly string[], timeoutMs = 120_000): Promise<ToolResult> =>
  helm.run(args, { kubeconfig: env.cluster.kubeconfigPath, timeoutMs });
const get = <T>(path: string): Promise<T> => env.agent.client.get<T>(path);
/** The last log lines of every pod of an app, for failure messages. */
const diagnostics = (app: string): string => env.logTails(NS, app);

async function readyPods(app: string, count: number, timeoutMs: number): Promise<V1Pod[]> {
  return waitFor(
    async () => {
      const pods = (await get<V1PodList>(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${app}`)).items;
      return pods.length === count && pods.every(isPodReady) ? pods : undefined;
    },
    { what: `${count} Ready pod(s) of ${app}`, timeoutMs },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${diagnostics(app)}`);
  });
}

async function must(result: Promise<ToolResult>): Promise<ToolResult> {
  const r = await result;
  if (r.code !== 0) throw new Error(`command failed (${r.code}): ${r.stderr}`);
  return r;
}

/**
 * The URI SAN of the certificate a TLS server at ip:port presents, after verifying its chain
 * against the given trust anchors (the handshake fails otherwise). Host names are not checked,
 * as Dapr's clients check the SPIFFE id instead.
 */
function verifiedUriSan(ip: string, port: number, ca: string): Promise<string | undefined> {
  return new Promise((ok, fail) => {
    const sock = tlsConnect(
      { host: ip, port, ca, ALPNProtocols: ['h2'], checkServerIdentity: () => undefined },
      () => {
        const san = sock.getPeerCertificate().subjectaltname;
        sock.destroy();
        ok(san);
      },
    );
    sock.setTimeout(5000, () => sock.destroy(new Error(`TLS to ${ip}:${port} timed out`)));
    sock.on('error', fail);
  });
}

/** Creates an annotated app pod in namespace `apps` and returns its containers as admitted. */
async function admittedAppPod(
  name: string,
): Promise<Array<{ name: string; image: string; args?: string[] }>> {
  await enforceRestricted((a) => env.kubectl(a), 'apps');
  await env.apply(`apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: apps
  annotations:
    dapr.io/enabled: "true"
    dapr.io/app-id: ${name}
spec:
  securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
  containers:
    - name: app
      image: dapr-ts/test-app:echo
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
`);
  const pod = await get<V1Pod>(`/api/v1/namespaces/apps/pods/${name}`);
  return (pod.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image ?? '', args: c.args }));
}

/** `kubectl apply --dry-run=server` of a rendered chart: the apiserver validates every object. */
async function serverDryRun(name: string, args: readonly string[]): Promise<ToolResult> {
  const rendered = await helm.run(['template', 'dapr', chartDir, ...args]);
  if (rendered.code !== 0) throw new Error(`helm template (${name}) failed: ${rendered.stderr}`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, rendered.stdout);
  // Server-side apply under its own field manager: objects the installed release already owns
  // (cluster-scoped ones) are validated as updates, without kubectl's client-side warnings.
  return env.kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=dry-run-check',
    '--dry-run=server',
    '-f',
    file,
  ]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-chart-install-`));
  helm = new Helm();
  env = await startTestEnvironment({ agent: { backoff: { initialMs: 1000, maxMs: 5000 } } });
  // The chart's defaults must pass Pod Security `restricted`, as OpenShift enforces it.
  await enforceRestricted((a) => env.kubectl(a), NS);
}, 180_000);

afterAll(async () => {
  await env?.stop();
  helm?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('helm install dapr ./charts/dapr -n dapr-system --create-namespace', () => {
  let manifest: K8sObject[] = [];

  it('creates the CRDs and every rendered object', async () => {
    const t0 = Date.now();
    installedAt = t0;
    const r = await helmIn([
      'install',
      'dapr',
      chartDir,
      '-n',
      NS,
      '--create-namespace',
      ...INSTALL_SETS.flatMap((s) => ['--set', s]),
    ]);
    expect(r.stderr.replace(/^.*symbolic link.*\n/gm, '')).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('STATUS: deployed');
    process.stdout.write(`[chart] helm install: ${Date.now() - t0} ms\n`);
    const crds = await env.kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=dapr', '-o', 'name']);
    expect(crds.stdout.trim().split('\n')).toHaveLength(7);

    const got = await helmIn(['get', 'manifest', 'dapr', '-n', NS]);
    manifest = parseAllDocuments(got.stdout)
      .map((d) => d.toJS() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
    expect(manifest.length).toBeGreaterThan(35);
    for (const o of manifest) {
      const ns = o.metadata.namespace;
      const res = await env.kubectl([
        'get',
        o.kind,
        o.metadata.name,
        ...(ns ? ['-n', ns] : []),
        '-o',
        'name',
      ]);
      expect({ object: `${o.kind}/${o.metadata.name}`, found: res.code === 0 }).toEqual({
        object: `${o.kind}/${o.metadata.name}`,
        found: true,
      });
    }
  });

  it('runs the rendered pods until every control-plane service is Ready', async () => {
    const t0 = installedAt;
    for (const app of WORKLOADS) {
      const pods = await readyPods(app, replicasOf(app), 180_000);
      const pod = pods[0]!;
      // The dapr CLI's view (dapr status -k): containers[0] runs and is ready.
      expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true);
      expect(pod.spec?.containers[0]?.name).toBe(app);
      process.stdout.write(`[chart] ${app} Ready ${Date.now() - t0} ms after helm install started\n`);
    }
    // Sentry filled the trust bundle the chart created empty.
    const bundle = await get<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${NS}/configmaps/dapr-trust-bundle`,
    );
    expect(bundle.data?.['ca.crt']).toContain('BEGIN CERTIFICATE');
    // Placement (ours) and the scheduler (Dapr's) serve with SVIDs our sentry issued from it.
    const ca = bundle.data?.['ca.crt'] ?? '';
    const podIp = async (app: string): Promise<string> =>
      (await readyPods(app, replicasOf(app), 10_000))[0]!.status!.podIP!;
    expect(await verifiedUriSan(await podIp('dapr-placement-server'), 50005, ca)).toBe(
      `URI:spiffe://cluster.local/ns/${NS}/dapr-placement`,
    );
    expect(await verifiedUriSan(await podIp('dapr-scheduler-server'), 50006, ca)).toContain(
      `URI:spiffe://cluster.local/ns/${NS}/dapr-scheduler`,
    );
  }, 400_000);

  it('runs our services from the image users install (its root filesystem, under runc)', async () => {
    for (const app of WORKLOADS.filter((a) => a !== 'dapr-scheduler-server')) {
      const [pod] = await readyPods(app, replicasOf(app), 10_000);
      expect({ app, imageID: pod!.status!.containerStatuses![0]!.imageID }).toEqual({
        app,
        imageID: `dapr-ts-image://${imageArchive()}`,
      });
    }
  });

  it('passes `helm test` (the hook pod checks every service)', async () => {
    const r = await helmIn(['test', 'dapr', '-n', NS, '--timeout', '3m'], 200_000);
    expect(r.stdout).toMatch(/TEST SUITE:\s+dapr-control-plane-health[\s\S]*Phase:\s+Succeeded/);
    expect(r.code).toBe(0);
    // The pod is deleted once it succeeded; the node agent keeps its log.
    const log = env.logs(NS, 'dapr-control-plane-health');
    for (const part of [
      'sentry',
      'operator',
      'sidecar-injector',
      'placement-0',
      'scheduler-0',
      'scheduler-1',
      'scheduler-2',
    ]) {
      expect(log).toContain(`healthy: ${part}`);
    }
    expect(log).not.toContain('NOT HEALTHY');
  }, 220_000);

  it("wires the webhook: the injector patched its caBundle and adds daprd with the chart's addresses", async () => {
    const anchors = await get<{ data: Record<string, string> }>(
      `/api/v1/namespaces/${NS}/configmaps/dapr-trust-bundle`,
    );
    const hook = await get<{ webhooks: Array<{ clientConfig: { caBundle?: string } }> }>(
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/dapr-sidecar-injector',
    );
    expect(hook.webhooks[0]?.clientConfig.caBundle).toBe(
      Buffer.from(anchors.data['ca.crt'] ?? '').toString('base64'),
    );
    // The apiserver calls the injector (through the Service, verifying its certificate).
    const containers = await admittedAppPod('withscheduler');
    expect(containers.map((c) => c.name)).toEqual(['app', 'daprd']);
    const daprd = containers[1]!;
    expect(daprd.image).toBe('ghcr.io/dapr/daprd:1.18.3');
    const args = (daprd.args ?? []).join(' ');
    expect(args).toContain(`--sentry-address dapr-sentry.${NS}.svc.cluster.local:443`);
    expect(args).toContain(`--control-plane-address dapr-api.${NS}.svc.cluster.local:443`);
    expect(args).toContain(`--placement-host-address dapr-placement-server.${NS}.svc.cluster.local:50005`);
    expect(args).toContain(`--scheduler-host-address dapr-scheduler-server-a.${NS}.svc.cluster.local:443`);
    await env.kubectl(['delete', 'pod', '-n', 'apps', 'withscheduler', '--wait=false']);
  });

  it("enforces Pod Security restricted in the apps' namespace: a bare pod is refused, an injected one admitted", async () => {
    // A pod without what `restricted` asks (no seccomp profile, privilege escalation allowed) is refused.
    await expect(
      env.apply(`apiVersion: v1
kind: Pod
metadata: { name: unrestricted, namespace: apps }
spec:
  containers:
    - { name: app, image: dapr-ts/test-app:echo }
`),
    ).rejects.toThrow(/violates PodSecurity "restricted:latest"/);
    // The app pod with its securityContext is admitted, daprd included, with the chart's defaults.
    await admittedAppPod('restricted');
    const pod = await get<V1Pod>('/api/v1/namespaces/apps/pods/restricted');
    const daprd = pod.spec!.containers.find((c) => c.name === 'daprd');
    expect(daprd?.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    await env.kubectl(['delete', 'pod', '-n', 'apps', 'restricted', '--wait=false']);
  });

  it('turns the scheduler off (global.scheduler.enabled=false): its objects go and daprd gets no scheduler address', async () => {
    const r = await helmIn([
      'upgrade',
      'dapr',
      chartDir,
      '-n',
      NS,
      '--reuse-values',
      '--set',
      'global.scheduler.enabled=false',
    ]);
    expect(r.code).toBe(0);
    await waitFor(
      async () => {
        const res = await env.kubectl([
          'get',
          'statefulset',
          'dapr-scheduler-server',
          '-n',
          NS,
          '--ignore-not-found',
          '-o',
          'name',
        ]);
        return res.stdout.trim() === '';
      },
      { what: 'the scheduler StatefulSet to be removed' },
    );
    // Its pods go after it (the garbage collector deletes them in the background). The next step
    // turns the scheduler on again: a new StatefulSet whose pods carry the same names, each a fresh
    // in-memory etcd member. An old pod still around then can be taken for a new one and killed
    // late, and a killed in-memory member cannot rejoin (seen in full runs under load).
    await waitFor(
      async () =>
        (await get<V1PodList>(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Ddapr-scheduler-server`))
          .items.length === 0,
      { what: 'the scheduler pods to be gone', timeoutMs: 120_000 },
    );
    // The new injector (--scheduler-enabled=false) must be the one answering.
    await waitFor(
      async () => {
        const d = await get<{
          metadata: { generation: number };
          status: {
            observedGeneration?: number;
            replicas?: number;
            updatedReplicas?: number;
            readyReplicas?: number;
          };
        }>(`/apis/apps/v1/namespaces/${NS}/deployments/dapr-sidecar-injector`);
        const pods = (
          await get<V1PodList>(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3Ddapr-sidecar-injector`)
        ).items;
        return (
          (d.status.observedGeneration ?? 0) >= d.metadata.generation &&
          d.status.updatedReplicas === 1 &&
          d.status.readyReplicas === 1 &&
          pods.length === 1 &&
          pods[0]!.spec!.containers[0]!.args!.includes('--scheduler-enabled=false')
        );
      },
      { what: 'the injector to roll out with --scheduler-enabled=false', timeoutMs: 120_000 },
    );
    const containers = await admittedAppPod('noscheduler');
    const args = (containers.find((c) => c.name === 'daprd')?.args ?? []).join(' ');
    expect(args).toContain('--placement-host-address');
    expect(args).not.toContain('--scheduler-host-address');
    await env.kubectl(['delete', 'namespace', 'apps', '--wait=false']);
  }, 200_000);

  it('upgrades in place to the OpenShift values: every workload rolls out (the scheduler anew) and `helm test` passes again', async () => {
    const t0 = Date.now();
    const r = await helmIn([
      'upgrade',
      'dapr',
      chartDir,
      '-n',
      NS,
      '--reuse-values',
      '-f',
      join(chartDir, 'ci/openshift-values.yaml'),
      // Back on after the previous step: a fresh scheduler cluster, created with these values.
      // (Rolling an in-memory etcd member would lose its data: it could not rejoin.)
      '--set',
      'global.scheduler.enabled=true',
    ]);
    expect(r.code).toBe(0);
    for (const app of WORKLOADS) {
      const kind = app.endsWith('-server') ? 'statefulsets' : 'deployments';
      await waitFor(
        async () => {
          const w = await get<{
            metadata: { generation: number };
            status: {
              observedGeneration?: number;
              replicas?: number;
              readyReplicas?: number;
              updatedReplicas?: number;
              currentRevision?: string;
              updateRevision?: string;
            };
          }>(`/apis/apps/v1/namespaces/${NS}/${kind}/${app}`);
          const st = w.status;
          const settled =
            (st.observedGeneration ?? 0) >= w.metadata.generation &&
            st.readyReplicas === st.replicas &&
            st.updatedReplicas === st.replicas &&
            (kind === 'deployments' || st.currentRevision === st.updateRevision);
          return settled || undefined;
        },
        { what: `${app} to roll out`, timeoutMs: 180_000 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${diagnostics(app)}`);
      });
      const pods = await readyPods(app, replicasOf(app), 60_000);
      // No fixed ids left for the platform to reject: the pods run as the image's user.
      for (const p of pods) expect(JSON.stringify(p.spec)).not.toMatch(/runAsUser|runAsGroup|fsGroup/);
    }
    process.stdout.write(
      `[chart] helm upgrade to the OpenShift values rolled out in ${Date.now() - t0} ms\n`,
    );
    const test = await helmIn(['test', 'dapr', '-n', NS, '--timeout', '3m'], 200_000);
    expect(test.stdout).toMatch(/Phase:\s+Succeeded/);
    expect(test.code).toBe(0);
  }, 400_000);

  it('runs placement highly available (dapr_placement.ha): three replicas elect a leader through their Lease', async () => {
    const r = await helmIn([
      'upgrade',
      'dapr',
      chartDir,
      '-n',
      NS,
      '--reuse-values',
      '--set',
      'dapr_placement.ha=true',
      // No volume provisioner here; our placement keeps no raft log anyway.
      '--set',
      'dapr_placement.cluster.forceInMemoryLog=true',
    ]);
    expect(r.code).toBe(0);
    const pods = await readyPods('dapr-placement-server', 3, 180_000);
    // The Role the chart grants lets the replicas take and renew the Lease.
    const lease = await waitFor(
      async () => {
        const l = await get<{ spec: { holderIdentity?: string } }>(
          `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/dapr-placement-leader`,
        );
        return l.spec.holderIdentity ? l : undefined;
      },
      { what: 'a placement leader' },
    );
    const names = pods.map((p) => p.metadata!.name!);
    expect(names.some((n) => lease.spec.holderIdentity!.includes(n))).toBe(true);
  }, 220_000);

  it.each([
    ['default', []],
    ['HA', ['-f', join(chartDir, 'ci/ha-values.yaml')]],
    ['OpenShift', ['-f', join(chartDir, 'ci/openshift-values.yaml')]],
  ])('validates the %s rendering on the apiserver (server-side dry run)', async (name, extra) => {
    await env.kubectl(['create', 'namespace', 'dapr-dryrun']);
    const r = await serverDryRun(name, [...renderArgs({ namespace: 'dapr-dryrun' }), ...extra]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/deployment\.apps\/dapr-operator serverside-applied \(server dry run\)/);
  });

  it("validates the rendering with Dapr 1.18.3's own values files (server-side dry run)", async () => {
    const upstream = upstreamValuesFiles();
    const full = join(dir, 'upstream-subcharts.yaml');
    writeFileSync(full, upstream.full);
    await env.kubectl(['create', 'namespace', 'dapr-dryrun']);
    const r = await serverDryRun('upstream', [
      ...renderArgs({ namespace: 'dapr-dryrun' }),
      '-f',
      upstream.parent,
      '-f',
      full,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('upgrades the CRDs the documented way, keeping the operator-patched conversion settings', async () => {
    // An older CRD in place: no printer columns. The operator has patched its webhook settings.
    await must(
      env.kubectl([
        'patch',
        'crd',
        'components.dapr.io',
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/spec/versions/0/additionalPrinterColumns"}]',
      ]),
    );
    // What the operator patches in: the trust anchors sentry wrote, base64 ([]byte in JSON).
    const anchors = await get<{ data: Record<string, string> }>(
      `/api/v1/namespaces/${NS}/configmaps/dapr-trust-bundle`,
    );
    const caBundle = Buffer.from(anchors.data['ca.crt'] ?? '').toString('base64');
    expect(caBundle).not.toBe('');
    await must(
      env.kubectl([
        'patch',
        'crd',
        'subscriptions.dapr.io',
        '--type=json',
        '-p',
        JSON.stringify([
          { op: 'replace', path: '/spec/conversion/webhook/clientConfig/service/namespace', value: NS },
          { op: 'add', path: '/spec/conversion/webhook/clientConfig/caBundle', value: caBundle },
        ]),
      ]),
    );
    // The command of charts/dapr/README.md ("Upgrading the CRDs"). A client-side apply merges
    // into the live CRDs, so the caBundle the operator patched in stays.
    const script = `"${cachedBinary('helm')}" show crds "${chartDir}" | sed 's/namespace: replaceme/namespace: ${NS}/' | "${cachedBinary('kubectl')}" apply -f -`;
    const r = await run('bash', ['-o', 'pipefail', '-c', script], {
      kubeconfig: env.cluster.kubeconfigPath,
      env: {
        HELM_CACHE_HOME: join(helm.home, 'cache'),
        HELM_CONFIG_HOME: join(helm.home, 'config'),
        HELM_DATA_HOME: join(helm.home, 'data'),
      },
    });
    expect(r.code).toBe(0);
    const components = JSON.parse(
      (await env.kubectl(['get', 'crd', 'components.dapr.io', '-o', 'json'])).stdout,
    ) as { spec: { versions: Array<{ additionalPrinterColumns?: Array<{ name: string }> }> } };
    expect(components.spec.versions[0]?.additionalPrinterColumns?.map((c) => c.name)).toEqual([
      'Type',
      'Version',
      'Age',
    ]);
    const subs = JSON.parse(
      (await env.kubectl(['get', 'crd', 'subscriptions.dapr.io', '-o', 'json'])).stdout,
    ) as {
      spec: {
        conversion: { webhook: { clientConfig: { caBundle?: string; service: { namespace: string } } } };
      };
    };
    expect(subs.spec.conversion.webhook.clientConfig.service.namespace).toBe(NS);
    expect(subs.spec.conversion.webhook.clientConfig.caBundle).toBe(caBundle);
  });

  it('helm uninstall leaves nothing but the CRDs', async () => {
    const r = await helmIn(['uninstall', 'dapr', '-n', NS, '--wait', '--timeout', '2m'], 150_000);
    expect(r.code).toBe(0);
    await waitFor(async () => (await get<V1PodList>(`/api/v1/namespaces/${NS}/pods`)).items.length === 0, {
      what: 'the dapr-system pods to be gone',
      timeoutMs: 90_000,
    });
    for (const o of manifest) {
      const ns = o.metadata.namespace;
      const res = await env.kubectl([
        'get',
        o.kind,
        o.metadata.name,
        ...(ns ? ['-n', ns] : []),
        '-o',
        'name',
        '--ignore-not-found',
      ]);
      expect({ object: `${o.kind}/${o.metadata.name}`, left: res.stdout.trim() }).toEqual({
        object: `${o.kind}/${o.metadata.name}`,
        left: '',
      });
    }
    const left = await env.kubectl(['get', 'all,cm,secret,sa,role,rolebinding,pdb', '-n', NS, '-o', 'name']);
    // What Kubernetes itself keeps in every namespace.
    expect(
      left.stdout
        .trim()
        .split('\n')
        .filter((l) => l && !/^(serviceaccount\/default|configmap\/kube-root-ca\.crt)$/.test(l)),
    ).toEqual([]);
    const crds = await env.kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=dapr', '-o', 'name']);
    expect(crds.stdout.trim().split('\n')).toHaveLength(7);
  }, 200_000);
});
