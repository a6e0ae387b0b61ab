// charts/dapr rendered by the real helm: the objects, names, labels, ports and settings that
// Dapr's chart, the dapr CLI and daprd rely on (docs/contracts/injector-and-chart.md §5–6, docs/contracts/operator.md §6),
// the values schema, and the OpenShift, HA and scheduler-off variants.
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../deps/paths.js';
import { runId } from '../../kit/testing/managed-process.js';
import { Helm } from '../harness/tools.js';
import { parseOptions as parseAllInOneOptions } from '../../all-in-one/options.js';
import {
  chartDir,
  render,
  templateRaw,
  upstreamValuesFiles,
  workloads,
  type K8sObject,
  type PodTemplate,
} from './render.js';

const helm = new Helm();
const tmp = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-chart-`));
afterAll(() => {
  helm.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const ids = (objects: readonly K8sObject[]): string[] =>
  objects
    .map((o) => `${o.kind}/${o.metadata.name}${o.metadata.namespace ? `@${o.metadata.namespace}` : ''}`)
    .sort();

const allContainers = (
  objects: readonly K8sObject[],
): Array<{ owner: string; c: PodTemplate['spec']['containers'][number] }> =>
  workloads(objects).flatMap(({ obj, pod }) =>
    pod.spec.containers.map((c) => ({ owner: obj.metadata.name, c })),
  );

describe('helm lint', () => {
  it.each([
    ['default', []],
    ['HA', ['ci/ha-values.yaml']],
    ['OpenShift', ['ci/openshift-values.yaml']],
  ])('passes with %s values', async (_name, files) => {
    const r = await helm.run(['lint', chartDir, ...files.flatMap((f) => ['-f', join(chartDir, f)])]);
    expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });
});

describe('default values', () => {
  it('render tidy YAML (no whitespace-only lines from empty blocks)', async () => {
    const { text } = await render(helm, { valuesFiles: [join(chartDir, 'ci/ha-values.yaml')] });
    expect(text.split('\n').filter((l) => /^\s+$/.test(l))).toEqual([]);
  });

  it('render every object of Dapr 1.18.3 chart, under the same names', async () => {
    const { objects } = await render(helm);
    const ns = '@dapr-system';
    expect(ids(objects)).toEqual(
      [
        `ServiceAccount/dapr-injector${ns}`,
        `ServiceAccount/dapr-operator${ns}`,
        `ServiceAccount/dapr-sentry${ns}`,
        `ServiceAccount/dapr-placement${ns}`,
        `ServiceAccount/dapr-scheduler${ns}`,
        'ClusterRole/dapr-injector',
        'ClusterRoleBinding/dapr-injector',
        `Role/dapr-injector${ns}`,
        `RoleBinding/dapr-injector${ns}`,
        'ClusterRole/dapr-operator-admin',
        'ClusterRoleBinding/dapr-operator-admin',
        `Role/dapr-operator${ns}`,
        `RoleBinding/dapr-operator${ns}`,
        `Role/dapr-placement${ns}`,
        `RoleBinding/dapr-placement${ns}`,
        'ClusterRole/dapr-scheduler',
        'ClusterRoleBinding/dapr-scheduler',
        'ClusterRole/dapr-sentry',
        'ClusterRoleBinding/dapr-sentry',
        `Role/dapr-sentry${ns}`,
        `RoleBinding/dapr-sentry${ns}`,
        'Role/secret-reader@default',
        'RoleBinding/dapr-secret-reader@default',
        `Secret/dapr-trust-bundle${ns}`,
        `ConfigMap/dapr-trust-bundle${ns}`,
        `Deployment/dapr-sentry${ns}`,
        `Service/dapr-sentry${ns}`,
        `Deployment/dapr-operator${ns}`,
        `Service/dapr-api${ns}`,
        `Service/dapr-webhook${ns}`,
        `Deployment/dapr-sidecar-injector${ns}`,
        `Service/dapr-sidecar-injector${ns}`,
        'MutatingWebhookConfiguration/dapr-sidecar-injector',
        `StatefulSet/dapr-placement-server${ns}`,
        `Service/dapr-placement-server${ns}`,
        `StatefulSet/dapr-scheduler-server${ns}`,
        `Service/dapr-scheduler-server-a${ns}`,
        `Service/dapr-scheduler-server${ns}`,
        `PodDisruptionBudget/dapr-scheduler-server-disruption-budget${ns}`,
        `Configuration/daprsystem${ns}`,
        `Pod/dapr-control-plane-health${ns}`,
      ].sort(),
    );
  });

  it('label every object with the k8sLabels, and select pods by app only', async () => {
    const { objects } = await render(helm);
    for (const o of objects.filter((x) => x.kind !== 'Pod')) {
      expect({ id: `${o.kind}/${o.metadata.name}`, labels: o.metadata.labels }).toMatchObject({
        labels: {
          'app.kubernetes.io/name': 'dapr',
          'app.kubernetes.io/version': '1.18.3',
          'app.kubernetes.io/part-of': 'dapr',
          'app.kubernetes.io/managed-by': 'Helm',
        },
      });
    }
    const expected: Record<string, [string, string]> = {
      'dapr-sentry': ['Deployment', 'sentry'],
      'dapr-operator': ['Deployment', 'operator'],
      'dapr-sidecar-injector': ['Deployment', 'injector'],
      'dapr-placement-server': ['StatefulSet', 'placement'],
      'dapr-scheduler-server': ['StatefulSet', 'scheduler'],
    };
    const seen = workloads(objects).map(({ obj, pod }) => {
      const spec = obj.spec as { selector: { matchLabels: Record<string, string> } };
      expect(spec.selector.matchLabels).toEqual({ app: obj.metadata.name });
      expect(pod.metadata.labels.app).toBe(obj.metadata.name);
      expect(pod.metadata.annotations?.['dapr.io/control-plane']).toBe(expected[obj.metadata.name]?.[1]);
      // The dapr CLI reads containers[0]: the control-plane container, named like its workload.
      expect(pod.spec.containers[0]?.name).toBe(obj.metadata.name);
      expect(pod.spec.containers[0]?.command).toEqual([`/${expected[obj.metadata.name]?.[1]}`]);
      return [obj.metadata.name, obj.kind];
    });
    expect(Object.fromEntries(seen)).toEqual(
      Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, v[0]])),
    );
  });

  it("run our four services from the dapr-ts image and the scheduler and daprd from Dapr's (semver tags, for the dapr CLI)", async () => {
    const { objects, find } = await render(helm);
    const image = (name: string): string =>
      workloads(objects).find((w) => w.obj.metadata.name === name)!.pod.spec.containers[0]!.image;
    for (const name of ['dapr-sentry', 'dapr-operator', 'dapr-sidecar-injector', 'dapr-placement-server']) {
      expect(image(name)).toBe('ghcr.io/dapr-ts/dapr-ts:1.18.3');
    }
    expect(image('dapr-scheduler-server')).toBe('ghcr.io/dapr/dapr:1.18.3');
    expect(image('dapr-operator').split(':').pop()).toMatch(/^\d+\.\d+\.\d+$/);
    const injector = (find('Deployment', 'dapr-sidecar-injector').spec as { template: PodTemplate }).template;
    expect(injector.spec.containers[0]!.env).toContainEqual({
      name: 'SIDECAR_IMAGE',
      value: 'ghcr.io/dapr/daprd:1.18.3',
    });
    const chart = parseAllDocuments(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'))[0]!.toJS() as {
      version: string;
      appVersion: string;
    };
    expect(chart.version).toBe('1.18.3');
    expect(chart.appVersion).toBe('1.18.3');
  });

  it('give the Services the names, types and ports daprd and the CLI dial', async () => {
    const { find } = await render(helm);
    const ports = (name: string): unknown => {
      const spec = find('Service', name).spec as {
        ports: Array<{ name?: string; port: number; targetPort?: unknown }>;
        clusterIP?: string;
        publishNotReadyAddresses?: boolean;
        selector: unknown;
      };
      return {
        selector: spec.selector,
        headless: spec.clusterIP === 'None',
        notReady: spec.publishNotReadyAddresses ?? false,
        ports: spec.ports.map((p) => [p.name ?? '', p.port, p.targetPort ?? p.port]),
      };
    };
    expect(ports('dapr-sidecar-injector')).toEqual({
      selector: { app: 'dapr-sidecar-injector' },
      headless: false,
      notReady: false,
      ports: [
        ['https', 443, 'https'],
        ['metrics', 9090, 9090],
      ],
    });
    expect(ports('dapr-api')).toEqual({
      selector: { app: 'dapr-operator' },
      headless: false,
      notReady: false,
      ports: [
        ['grpc', 443, 6500],
        ['legacy', 80, 6500],
        ['metrics', 9090, 9090],
      ],
    });
    expect(ports('dapr-webhook')).toEqual({
      selector: { app: 'dapr-operator' },
      headless: false,
      notReady: false,
      ports: [['', 443, 19443]],
    });
    expect(ports('dapr-sentry')).toEqual({
      selector: { app: 'dapr-sentry' },
      headless: false,
      notReady: false,
      ports: [
        ['grpc', 443, 50001],
        ['metrics', 9090, 9090],
      ],
    });
    expect(ports('dapr-placement-server')).toEqual({
      selector: { app: 'dapr-placement-server' },
      headless: true,
      notReady: true,
      ports: [
        ['api', 50005, 50005],
        ['raft-node', 8201, 8201],
        ['metrics', 9090, 9090],
      ],
    });
    expect(ports('dapr-scheduler-server-a')).toEqual({
      selector: { app: 'dapr-scheduler-server' },
      headless: false,
      notReady: true,
      ports: [
        ['api', 443, 50006],
        ['etcd-client', 2379, 2379],
        ['etcd-peer', 2380, 2380],
        ['metrics', 9090, 9090],
      ],
    });
    expect(ports('dapr-scheduler-server')).toEqual({
      selector: { app: 'dapr-scheduler-server' },
      headless: true,
      notReady: true,
      ports: [
        ['api', 50006, 50006],
        ['etcd-client', 2379, 2379],
        ['etcd-peer', 2380, 2380],
        ['metrics', 9090, 9090],
      ],
    });
  });

  it('register the webhook as Dapr does, without a caBundle (the injector patches it)', async () => {
    const { find } = await render(helm);
    const hook = find('MutatingWebhookConfiguration', 'dapr-sidecar-injector') as unknown as {
      webhooks: Array<Record<string, unknown>>;
    };
    expect(hook.webhooks).toEqual([
      {
        name: 'sidecar-injector.dapr.io',
        clientConfig: {
          service: { namespace: 'dapr-system', name: 'dapr-sidecar-injector', path: '/mutate' },
        },
        rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] }],
        failurePolicy: 'Ignore',
        sideEffects: 'None',
        admissionReviewVersions: ['v1', 'v1beta1'],
        reinvocationPolicy: 'IfNeeded',
      },
    ]);
  });

  it('write daprsystem with spec.mtls.enabled explicit, and the empty trust bundle sentry fills', async () => {
    const off = await render(helm, { set: ['global.mtls.enabled=false'] });
    expect(off.find('Configuration', 'daprsystem').spec).toEqual({
      mtls: {
        enabled: false,
        workloadCertTTL: '24h',
        allowedClockSkew: '15m',
        controlPlaneTrustDomain: 'cluster.local',
        sentryAddress: 'dapr-sentry.dapr-system.svc.cluster.local:443',
      },
    });
    const { find } = await render(helm);
    expect((find('Configuration', 'daprsystem').spec as { mtls: { enabled: boolean } }).mtls.enabled).toBe(
      true,
    );
    expect(find('Secret', 'dapr-trust-bundle').data).toBeUndefined();
    expect(find('ConfigMap', 'dapr-trust-bundle').data).toBeUndefined();
    expect(find('Secret', 'dapr-trust-bundle').metadata.labels?.app).toBe('dapr-sentry');
  });

  it('fill the trust bundle from dapr_sentry.tls.* (dapr init -k --ca-root-certificate…)', async () => {
    const { find } = await render(helm, {
      set: [
        'dapr_sentry.tls.root.certPEM=ROOT',
        'dapr_sentry.tls.issuer.certPEM=ISSUER',
        'dapr_sentry.tls.issuer.keyPEM=KEY',
      ],
    });
    expect(find('Secret', 'dapr-trust-bundle').data).toEqual({
      'ca.crt': Buffer.from('ROOT').toString('base64'),
      'issuer.crt': Buffer.from('ISSUER').toString('base64'),
      'issuer.key': Buffer.from('KEY').toString('base64'),
    });
    expect(find('ConfigMap', 'dapr-trust-bundle').data).toEqual({ 'ca.crt': 'ROOT' });
  });

  it('mount the trust anchors and a sentry token (audience = sentry SPIFFE id, 600 s) into every service but sentry', async () => {
    const { objects } = await render(helm);
    for (const { obj, pod } of workloads(objects)) {
      const volumes = Object.fromEntries((pod.spec.volumes ?? []).map((v) => [v.name, v]));
      if (obj.metadata.name === 'dapr-sentry') {
        expect(volumes.credentials).toEqual({
          name: 'credentials',
          secret: { secretName: 'dapr-trust-bundle' },
        });
        continue;
      }
      expect(volumes['dapr-trust-bundle']).toEqual({
        name: 'dapr-trust-bundle',
        configMap: { name: 'dapr-trust-bundle' },
      });
      expect(volumes['dapr-identity-token']).toEqual({
        name: 'dapr-identity-token',
        projected: {
          sources: [
            {
              serviceAccountToken: {
                path: 'token',
                expirationSeconds: 600,
                audience: 'spiffe://cluster.local/ns/dapr-system/dapr-sentry',
              },
            },
          ],
        },
      });
      expect(pod.spec.containers[0]!.volumeMounts).toEqual(
        expect.arrayContaining([
          { name: 'dapr-trust-bundle', mountPath: '/var/run/secrets/dapr.io/tls', readOnly: true },
          { name: 'dapr-identity-token', mountPath: '/var/run/secrets/dapr.io/sentrytoken', readOnly: true },
        ]),
      );
    }
  });

  it('harden every container: non-root, no privilege escalation, read-only root, no capabilities, seccomp RuntimeDefault', async () => {
    const { objects } = await render(helm);
    for (const { owner, c } of allContainers(objects)) {
      expect({ owner, sc: c.securityContext }).toEqual({
        owner,
        sc: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
      });
    }
  });

  it('grant the operator exactly the budget of docs/contracts/operator.md §6 (no patch on services or leases, no update on CRDs)', async () => {
    const { find } = await render(helm);
    const rules = (
      kind: string,
      name: string,
    ): Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> =>
      find(kind, name).rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const admin = rules('ClusterRole', 'dapr-operator-admin');
    const verbsOn = (rs: typeof admin, resource: string): string[] =>
      [...new Set(rs.filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs))].sort();
    expect(verbsOn(admin, 'services')).toEqual(['create', 'delete', 'get', 'list', 'update', 'watch']);
    expect(verbsOn(admin, 'customresourcedefinitions')).toEqual(['get', 'patch']);
    expect(verbsOn(admin, 'secrets')).toEqual(['get', 'list', 'watch']);
    expect(verbsOn(admin, 'pods')).toEqual(['delete', 'get', 'list', 'watch']);
    // The missing-sidecar Events (docs/operator.md, "When daprd is missing").
    expect(verbsOn(admin, 'events')).toEqual(['create', 'list', 'patch']);
    expect(verbsOn(admin, 'replicasets')).toEqual(['get']);
    expect(verbsOn(admin, 'daemonsets')).toEqual(['list', 'watch']);
    expect(verbsOn(rules('Role', 'dapr-operator'), 'leases')).toEqual([
      'create',
      'get',
      'list',
      'update',
      'watch',
    ]);
    // Placement's Lease election (docs/placement.md): its own Lease by name, watched so a
    // follower takes over at once on a graceful stop; create only because a name cannot limit it.
    expect(rules('Role', 'dapr-placement')).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        resourceNames: ['dapr-placement-leader'],
        verbs: ['get', 'update', 'watch'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
    ]);
    const sentry = rules('ClusterRole', 'dapr-sentry');
    expect(verbsOn(sentry, 'tokenreviews')).toEqual(['create']);
    const injector = rules('ClusterRole', 'dapr-injector');
    expect(injector).toContainEqual({
      apiGroups: ['admissionregistration.k8s.io'],
      resources: ['mutatingwebhookconfigurations'],
      resourceNames: ['dapr-sidecar-injector'],
      verbs: ['patch'],
    });
    // Why a pod got no sidecar, as Events on its owner in any namespace (docs/injector.md).
    expect(verbsOn(injector, 'events')).toEqual(['create', 'patch']);
    // Nothing anywhere may touch everything.
    const text = (await render(helm)).text;
    expect(text).not.toMatch(/- ['"]?\*['"]?$/m);
  });

  it('passes the flags the services accept (sentry, placement, operator, injector args)', async () => {
    const { objects } = await render(helm);
    const args = (name: string): string[] =>
      workloads(objects).find((w) => w.obj.metadata.name === name)!.pod.spec.containers[0]!.args ?? [];
    expect(args('dapr-sentry')).toEqual([
      '--mode',
      'kubernetes',
      '--log-level',
      'info',
      '--enable-metrics',
      '--metrics-port',
      '9090',
      '--trust-domain',
      'cluster.local',
    ]);
    expect(args('dapr-sidecar-injector')).toEqual([
      '--log-level',
      'info',
      '--enable-metrics',
      '--metrics-port',
      '9090',
      '--healthz-port',
      '8080',
      '--scheduler-enabled=true',
    ]);
    expect(args('dapr-operator')).toEqual([
      '--watch-interval',
      '0',
      '--max-pod-restarts-per-minute',
      '20',
      '--log-level',
      'info',
      '--trust-anchors-file',
      '/var/run/secrets/dapr.io/tls/ca.crt',
      '--enable-metrics',
      '--metrics-port',
      '9090',
    ]);
    expect(args('dapr-placement-server')).toEqual(
      expect.arrayContaining([
        '--tls-enabled',
        '--mode=kubernetes',
        '--sentry-address=dapr-sentry.dapr-system.svc.cluster.local:443',
        '--trust-domain=cluster.local',
      ]),
    );
    expect(args('dapr-scheduler-server')).toEqual(
      expect.arrayContaining([
        '--id',
        '$(SCHEDULER_ID)',
        '--etcd-initial-cluster',
        expect.stringContaining(
          'dapr-scheduler-server-2=https://dapr-scheduler-server-2.dapr-scheduler-server.dapr-system.svc.cluster.local:2380',
        ),
      ]),
    );
  });
});

describe('high availability (global.ha.enabled)', () => {
  it('runs 3 replicas of every service, spreads them and guards them with disruption budgets', async () => {
    const { objects } = await render(helm, { valuesFiles: [join(chartDir, 'ci/ha-values.yaml')] });
    for (const { obj, pod } of workloads(objects)) {
      expect([obj.metadata.name, (obj.spec as { replicas: number }).replicas]).toEqual([
        obj.metadata.name,
        3,
      ]);
      expect(pod.spec.affinity).toHaveProperty('podAntiAffinity');
    }
    expect(ids(objects.filter((o) => o.kind === 'PodDisruptionBudget'))).toEqual([
      'PodDisruptionBudget/dapr-operator-disruption-budget@dapr-system',
      'PodDisruptionBudget/dapr-placement-server-disruption-budget@dapr-system',
      'PodDisruptionBudget/dapr-scheduler-server-disruption-budget@dapr-system',
      'PodDisruptionBudget/dapr-sentry-budget@dapr-system',
      'PodDisruptionBudget/dapr-sidecar-injector-disruption-budget@dapr-system',
    ]);
    const placement = workloads(objects).find((w) => w.obj.metadata.name === 'dapr-placement-server')!;
    expect(placement.pod.spec.containers[0]!.args).toEqual(
      expect.arrayContaining([
        '--initial-cluster',
        'dapr-placement-server-0=dapr-placement-server-0.dapr-placement-server.dapr-system.svc.cluster.local:8201,dapr-placement-server-1=dapr-placement-server-1.dapr-placement-server.dapr-system.svc.cluster.local:8201,dapr-placement-server-2=dapr-placement-server-2.dapr-placement-server.dapr-system.svc.cluster.local:8201',
      ]),
    );
  });
});

describe('the all-in-one mode (global.allInOne.enabled, docs/all-in-one.md)', () => {
  const ALL_IN_ONE = ['global.allInOne.enabled=true', 'global.allInOne.replicaCount=2'];

  it('is off by default: no dapr-control-plane objects', async () => {
    const { objects } = await render(helm);
    expect(objects.filter((o) => o.metadata.name === 'dapr-control-plane')).toEqual([]);
  });

  it("renders one StatefulSet running /all-in-one in place of the four services' workloads", async () => {
    const { objects } = await render(helm, { set: ALL_IN_ONE });
    expect(workloads(objects).map((w) => `${w.obj.kind}/${w.obj.metadata.name}`)).toEqual(
      expect.arrayContaining(['StatefulSet/dapr-control-plane', 'StatefulSet/dapr-scheduler-server']),
    );
    expect(workloads(objects)).toHaveLength(2);
    const { obj, pod } = workloads(objects).find((w) => w.obj.metadata.name === 'dapr-control-plane')!;
    expect((obj.spec as { replicas: number }).replicas).toBe(2);
    expect(pod.metadata.labels.app).toBe('dapr-control-plane');
    expect(pod.spec.serviceAccountName).toBe('dapr-control-plane');
    const container = pod.spec.containers[0]!;
    expect(container.command).toEqual(['/all-in-one']);
    expect(container.image).toBe('ghcr.io/dapr-ts/dapr-ts:1.18.3');
    // The four services' ports, the injector's named `https` as its Service targets it.
    expect(container.ports?.map((p) => [p.name, p.containerPort])).toEqual(
      expect.arrayContaining([
        ['sentry-grpc', 50001],
        ['placement-api', 50005],
        ['operator-grpc', 6500],
        ['webhook', 19443],
        ['https', 4000],
      ]),
    );
  });

  it('passes a command line the all-in-one parser accepts, with HA placement peers named by pod', async () => {
    const { objects } = await render(helm, { set: ALL_IN_ONE });
    const container = workloads(objects).find((w) => w.obj.metadata.name === 'dapr-control-plane')!.pod.spec
      .containers[0]!;
    const env: Record<string, string> = { NAMESPACE: 'dapr-system' };
    for (const e of container.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
    const argv = (container.args ?? []).map((a) => a.replace('$(POD_NAME)', 'dapr-control-plane-1'));
    const outcome = parseAllInOneOptions(argv, env);
    expect(outcome.kind).toBe('run');
    if (outcome.kind !== 'run') return;
    const o = outcome.options;
    expect([o.healthzPort, o.metrics.port]).toEqual([8080, 9090]);
    expect(o.sentry.port).toBe(50001);
    expect(o.placement.raftId).toBe('dapr-control-plane-1');
    expect(o.placement.raftPeers).toHaveLength(2);
    expect(o.placement.tlsEnabled).toBe(true);
    expect(o.operator.apiPort).toBe(6500);
    expect(o.injector.port).toBe(4000);
  });

  it('keeps the Service names and ports, selecting the all-in-one pods', async () => {
    const { find } = await render(helm, { set: ALL_IN_ONE });
    for (const name of [
      'dapr-sentry',
      'dapr-placement-server',
      'dapr-api',
      'dapr-webhook',
      'dapr-sidecar-injector',
    ]) {
      const spec = find('Service', name).spec as { selector: Record<string, string> };
      expect(spec.selector).toEqual({ app: 'dapr-control-plane' });
    }
  });

  it("binds one ServiceAccount to each of the four services' roles (their union)", async () => {
    const { objects } = await render(helm, { set: ALL_IN_ONE });
    expect(objects.filter((o) => o.kind === 'ServiceAccount').map((o) => o.metadata.name)).toContain(
      'dapr-control-plane',
    );
    const bound = objects
      .filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')
      .filter((o) => (o.subjects as Array<{ name: string }>).some((s) => s.name === 'dapr-control-plane'))
      .map((o) => `${o.kind}/${o.metadata.name}`)
      .sort();
    expect(bound).toEqual([
      'ClusterRoleBinding/dapr-injector',
      'ClusterRoleBinding/dapr-operator-admin',
      'ClusterRoleBinding/dapr-sentry',
      'RoleBinding/dapr-injector',
      'RoleBinding/dapr-operator',
      'RoleBinding/dapr-placement',
      'RoleBinding/dapr-sentry',
    ]);
  });
});

describe('OpenShift values (restricted-v2)', () => {
  it('fix no UID, GID or fsGroup anywhere, and keep every container hardened', async () => {
    const { objects, text } = await render(helm, {
      valuesFiles: [join(chartDir, 'ci/openshift-values.yaml')],
    });
    expect(text).not.toMatch(/runAsUser|runAsGroup|fsGroup|SIDECAR_RUN_AS_USER/);
    for (const { owner, c } of allContainers(objects)) {
      expect({ owner, sc: c.securityContext }).toMatchObject({
        owner,
        sc: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
      });
    }
    const injector = workloads(objects).find((w) => w.obj.metadata.name === 'dapr-sidecar-injector')!;
    expect(injector.pod.spec.containers[0]!.env).toContainEqual({
      name: 'SIDECAR_DROP_ALL_CAPABILITIES',
      value: 'true',
    });
  });

  it("keeps Dapr's fsGroup 65532 on placement and the scheduler otherwise", async () => {
    const { objects } = await render(helm);
    const fsGroups = workloads(objects).map(({ obj, pod }) => [
      obj.metadata.name,
      pod.spec.securityContext?.fsGroup,
    ]);
    expect(Object.fromEntries(fsGroups)).toEqual({
      'dapr-sentry': undefined,
      'dapr-operator': undefined,
      'dapr-sidecar-injector': undefined,
      'dapr-placement-server': 65532,
      'dapr-scheduler-server': 65532,
    });
  });
});

describe('the scheduler switch (global.scheduler.enabled=false)', () => {
  it('drops the scheduler objects and tells the injector to leave out the scheduler address', async () => {
    const { objects } = await render(helm, { set: ['global.scheduler.enabled=false'] });
    expect(ids(objects).filter((id) => id.includes('scheduler'))).toEqual([]);
    const injector = workloads(objects).find((w) => w.obj.metadata.name === 'dapr-sidecar-injector')!;
    expect(injector.pod.spec.containers[0]!.args).toContain('--scheduler-enabled=false');
  });
});

describe('values.schema.json', () => {
  it.each([
    ['global.ha.enabeld=true', /at '\/global\/ha': additional properties 'enabeld' not allowed/],
    ['dapr_operatr.logLevel=debug', /additional properties 'dapr_operatr' not allowed/],
    ['dapr_sentry.logLevel=verbose', /at '\/dapr_sentry\/logLevel': value must be one of/],
    ['global.ha.replicaCount=three', /at '\/global\/ha\/replicaCount': got string, want integer/],
  ])('refuses %s', async (set, message) => {
    const r = await templateRaw(helm, { set: [set] });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('accepts what an umbrella chart passes down: its own global keys and a top-level enabled', async () => {
    const sets = ['enabled=true', 'global.imageRegistry=registry.example', 'global.argocd.project=payments'];
    const r = await templateRaw(helm, { set: sets });
    expect(r.stderr).not.toMatch(/schema/);
    expect(r.code).toBe(0);
    const refused = await templateRaw(helm, { set: ['enabled=yes-please'] });
    expect(refused.stderr).toMatch(/at '\/enabled': got string, want boolean/);
  });

  it("accepts Dapr 1.18.3's own values files unchanged (parent and every subchart's keys)", async () => {
    const upstream = upstreamValuesFiles();
    const full = join(tmp, 'upstream-subcharts.yaml');
    writeFileSync(full, upstream.full);
    const { objects } = await render(helm, { valuesFiles: [upstream.parent, full] });
    expect(
      objects
        .filter((o) => o.kind === 'Deployment')
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['dapr-operator', 'dapr-sentry', 'dapr-sidecar-injector']);
  });

  it('covers every key of values.yaml and the subcharts (a new value needs a schema entry)', async () => {
    // Rendering with the defaults passes the schema only if every default key is declared.
    const r = await templateRaw(helm);
    expect(r.stderr).not.toMatch(/schema/);
    expect(r.code).toBe(0);
  });
});

describe('crds/ and the chart', () => {
  it('ships exactly the files of crds/ (charts/dapr/crds is a link to them)', async () => {
    const shown = await helm.run(['show', 'crds', chartDir]);
    expect(shown.code).toBe(0);
    const fromChart = parseAllDocuments(shown.stdout)
      .map((d) => d.toJS() as K8sObject)
      .filter(Boolean);
    const fromRepo = readdirSync(join(repoRoot, 'crds'))
      .sort()
      .map(
        (f) =>
          parseAllDocuments(readFileSync(join(repoRoot, 'crds', f), 'utf8'))[0]!.toJS({
            maxAliasCount: -1,
          }) as K8sObject,
      );
    expect(fromChart.map((c) => c.metadata.name).sort()).toEqual(fromRepo.map((c) => c.metadata.name).sort());
    expect(fromChart.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))).toEqual(
      fromRepo.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
    );
  });

  it('packages with the CRDs inside (helm package follows the link)', async () => {
    const r = await helm.run(['package', chartDir, '--destination', tmp]);
    expect(r.code).toBe(0);
    const list = await helm.run(['show', 'crds', join(tmp, 'dapr-1.18.3.tgz')]);
    expect(list.stdout.match(/^kind: CustomResourceDefinition$/gm)).toHaveLength(7);
  });
});

describe('other switches', () => {
  it('moves cluster-wide rules into Roles with global.rbac.namespaced', async () => {
    const { objects, find } = await render(helm, { set: ['global.rbac.namespaced=true'] });
    expect(ids(objects).filter((id) => id.startsWith('ClusterRole/'))).toEqual([
      'ClusterRole/dapr-injector',
      'ClusterRole/dapr-sentry',
    ]);
    const operator = find('Role', 'dapr-operator').rules as Array<{ resources: string[] }>;
    expect(operator.some((r) => r.resources.includes('services'))).toBe(true);
    expect((find('Role', 'dapr-scheduler').rules as Array<{ resources: string[] }>)[0]!.resources).toEqual([
      'namespaces',
    ]);
  });

  it('creates the system-critical ResourceQuota with a system priority class, and sets it on every pod', async () => {
    const { objects, find } = await render(helm, {
      set: ['global.priorityClassName=system-cluster-critical'],
    });
    expect(find('ResourceQuota', 'system-critical-quota').spec).toEqual({
      scopeSelector: {
        matchExpressions: [
          { operator: 'In', scopeName: 'PriorityClass', values: ['system-cluster-critical'] },
        ],
      },
    });
    for (const { pod } of workloads(objects))
      expect(pod.spec).toHaveProperty('priorityClassName', 'system-cluster-critical');
  });

  it.each([
    ['a string', ['global.imagePullSecrets=regcred']],
    ['a list of names', ['global.imagePullSecrets[0]=regcred']],
    ['a list of {name}', ['global.imagePullSecrets[0].name=regcred']],
  ])('accepts imagePullSecrets as %s', async (_what, set) => {
    const { objects } = await render(helm, { set });
    for (const { pod } of workloads(objects))
      expect(pod.spec).toHaveProperty('imagePullSecrets', [{ name: 'regcred' }]);
  });

  it('puts extra containers after the main one and merges per-component scheduling over the global', async () => {
    const { objects } = await render(helm, {
      set: [
        'global.extraContainers.operator[0].name=agent',
        'global.extraContainers.operator[0].image=busybox',
        'global.nodeSelector.pool=system',
        'dapr_operator.nodeSelector.disk=ssd',
        'dapr_operator.tolerations[0].key=dedicated',
        'dapr_operator.tolerations[0].operator=Exists',
      ],
    });
    const operator = workloads(objects).find((w) => w.obj.metadata.name === 'dapr-operator')!.pod
      .spec as PodTemplate['spec'] & Record<string, unknown>;
    expect(operator.containers.map((c) => c.name)).toEqual(['dapr-operator', 'agent']);
    expect(operator.nodeSelector).toEqual({ pool: 'system', disk: 'ssd' });
    expect(operator.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists' }]);
    const sentry = workloads(objects).find((w) => w.obj.metadata.name === 'dapr-sentry')!.pod.spec as Record<
      string,
      unknown
    >;
    expect(sentry.nodeSelector).toEqual({ pool: 'system' });
  });

  it('refuses an actors service other than placement or scheduler', async () => {
    const r = await templateRaw(helm, { set: ['global.actors.serviceName=elsewhere'] });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/actors\/serviceName/);
  });
});
