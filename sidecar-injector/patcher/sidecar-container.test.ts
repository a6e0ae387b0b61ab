import { describe, expect, it } from '@jest/globals';
import { testConfig, testPod, type FixtureOverrides } from './testing/fixtures.js';
import type { Pod, SecurityContext } from './k8s-types.js';
import { daprdCommandLine } from './sidecar-args.js';
import { daprdContainer, daprdPorts, daprdProbes, daprdSecurityContext } from './sidecar-container.js';
import { daprdEnv } from './sidecar-env.js';
import { daprdVolumeMounts, podVolumesToAdd } from './volumes.js';

const pod = (a: Record<string, string> = {}): Pod =>
  testPod({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'app', ...a });
const args = (a: Record<string, string> = {}, o: FixtureOverrides = {}): string[] =>
  daprdCommandLine(testConfig(pod(a), o));
/** The tokens following the fixed 25 (program + 12 flag pairs). */
const tail = (a: Record<string, string> = {}, o: FixtureOverrides = {}): string[] => args(a, o).slice(25);

describe('injector §3.2 daprd args', () => {
  it('fixed flags come first, in order, as separate tokens', () => {
    expect(args().slice(0, 25)).toEqual([
      '/daprd',
      '--dapr-http-port',
      '3500',
      '--dapr-grpc-port',
      '50001',
      '--dapr-internal-grpc-port',
      '50002',
      '--dapr-listen-addresses',
      '[::1],127.0.0.1',
      '--dapr-public-port',
      '3501',
      '--app-id',
      'app',
      '--app-protocol',
      'http',
      '--log-level',
      'info',
      '--dapr-graceful-shutdown-seconds',
      '-1',
      '--mode',
      'kubernetes',
      '--control-plane-address',
      'dapr-api.dapr-system.svc.cluster.local:443',
      '--sentry-address',
      'dapr-sentry.dapr-system.svc.cluster.local:443',
    ]);
  });

  it('defaults add metrics, placement, mTLS and scheduler', () => {
    expect(tail()).toEqual([
      '--enable-metrics',
      '--metrics-port',
      '9090',
      '--placement-host-address',
      'dapr-placement-server.dapr-system.svc.cluster.local:50005',
      '--enable-mtls',
      '--scheduler-host-address',
      'dapr-scheduler-server-a.dapr-system.svc.cluster.local:443',
    ]);
  });

  it.each([
    ['app-port 0 gives no flag', { 'dapr.io/app-port': '0' }, '--app-port', false],
    ['app-port > 0', { 'dapr.io/app-port': '3000' }, '--app-port', true],
    ['enable-metrics false drops both flags', { 'dapr.io/enable-metrics': 'false' }, '--metrics-port', false],
    ['config when non-empty', { 'dapr.io/config': 'c' }, '--config', true],
    ['config empty', { 'dapr.io/config': '' }, '--config', false],
    ['enable-api-logging absent', {}, '--enable-api-logging=true', false],
    ['app-ssl', { 'dapr.io/app-ssl': 'true' }, '--app-ssl', true],
    ['log-as-json', { 'dapr.io/log-as-json': 'yes' }, '--log-as-json', true],
    ['enable-profiling', { 'dapr.io/enable-profiling': 'on' }, '--enable-profiling', true],
    [
      'disable-builtin-k8s-secret-store',
      { 'dapr.io/disable-builtin-k8s-secret-store': '1' },
      '--disable-builtin-k8s-secret-store',
      true,
    ],
    [
      'block-shutdown-duration',
      { 'dapr.io/block-shutdown-duration': '5s' },
      '--dapr-block-shutdown-duration',
      true,
    ],
    ['disable-init-endpoints', { 'dapr.io/disable-init-endpoints': 'x' }, '--disable-init-endpoints', true],
  ])('%s', (_name, annotations, flag, present) => {
    expect(tail(annotations).includes(flag)).toBe(present);
  });

  it('--enable-api-logging=B is one token, emitted whenever the annotation exists', () => {
    expect(tail({ 'dapr.io/enable-api-logging': 'true' })).toContain('--enable-api-logging=true');
    expect(tail({ 'dapr.io/enable-api-logging': 'nah' })).toContain('--enable-api-logging=false');
  });

  it('the app-health group is 9 tokens in order', () => {
    const t = tail({ 'dapr.io/enable-app-health-check': 'true' });
    const i = t.indexOf('--enable-app-health-check');
    expect(t.slice(i, i + 9)).toEqual([
      '--enable-app-health-check',
      '--app-health-check-path',
      '/healthz',
      '--app-health-probe-interval',
      '5',
      '--app-health-probe-timeout',
      '500',
      '--app-health-threshold',
      '3',
    ]);
  });

  it('--enable-mtls follows the daprsystem Configuration', () => {
    expect(tail({}, { request: { mtlsEnabled: false } })).not.toContain('--enable-mtls');
  });

  it('UDS passes the fixed in-container path, not the annotation', () => {
    const t = tail({ 'dapr.io/unix-domain-socket-path': '/tmp/x' });
    expect(t.slice(t.indexOf('--unix-domain-socket'), t.indexOf('--unix-domain-socket') + 2)).toEqual([
      '--unix-domain-socket',
      '/var/run/dapr-sockets',
    ]);
  });

  it('an empty scheduler annotation still emits the flag with an empty value', () => {
    expect(tail({ 'dapr.io/scheduler-host-address': '' }).slice(-2)).toEqual([
      '--scheduler-host-address',
      '',
    ]);
  });

  it('enable-debug runs daprd under dlv', () => {
    expect(args({ 'dapr.io/enable-debug': 'true', 'dapr.io/debug-port': '41000' }).slice(0, 11)).toEqual([
      '/dlv',
      '--listen',
      ':41000',
      '--accept-multiclient',
      '--headless=true',
      '--log',
      '--api-version=2',
      'exec',
      '/daprd',
      '--',
      '--dapr-http-port',
    ]);
  });
});

describe('injector §3.1 identity and entrypoint', () => {
  it('command is empty and args[0] is /daprd', () => {
    const c = daprdContainer(testConfig(pod()), pod(), []);
    expect(c.name).toBe('daprd');
    expect(c.command).toBeUndefined();
    expect(c.args?.[0]).toBe('/daprd');
    expect(c.imagePullPolicy).toBe('IfNotPresent');
  });

  it('a toleration from IGNORE_ENTRYPOINT_TOLERATIONS moves /daprd into command', () => {
    const p = { ...pod(), spec: { ...pod().spec, tolerations: [{ key: 'aws', effect: 'NoSchedule' }] } };
    const c = daprdContainer(testConfig(p), p, []);
    expect(c.command).toEqual(['/daprd']);
    expect(c.args?.[0]).toBe('--dapr-http-port');
  });

  it('a toleration that differs in any field does not', () => {
    const p = { ...pod(), spec: { ...pod().spec, tolerations: [{ key: 'aws', effect: 'NoExecute' }] } };
    expect(daprdContainer(testConfig(p), p, []).command).toBeUndefined();
  });
});

describe('injector §3.3 ports', () => {
  it('http, grpc, internal, metrics in order; debug only when debugging; no 3501', () => {
    const names = (a: Record<string, string>): string[] =>
      daprdPorts(testConfig(pod(a))).map((p) => `${p.name}:${p.containerPort}`);
    expect(names({})).toEqual([
      'dapr-http:3500',
      'dapr-grpc:50001',
      'dapr-internal:50002',
      'dapr-metrics:9090',
    ]);
    expect(names({ 'dapr.io/enable-debug': 'true' }).at(-1)).toBe('dapr-debug:40000');
  });
});

describe('injector §3.4 env', () => {
  const names = (a: Record<string, string>, o: FixtureOverrides = {}): string[] =>
    daprdEnv(testConfig(pod(a), o)).map((e) => e.name);

  it('fixed entries first, in order', () => {
    expect(names({})).toEqual([
      'NAMESPACE',
      'DAPR_TRUST_ANCHORS',
      'POD_NAME',
      'DAPR_CONTROLPLANE_NAMESPACE',
      'DAPR_CONTROLPLANE_TRUST_DOMAIN',
    ]);
  });

  it('then host IP, user env, secrets, DAPR_ENV_KEYS, sockets folder and tokens', () => {
    const withComp = testPod(
      {
        'dapr.io/enabled': 'true',
        'dapr.io/app-id': 'app',
        'dapr.io/env': 'A=1',
        'dapr.io/env-from-secret': 'B=s,C=x:y:z',
        'dapr.io/pluggable-components': 'comp',
        'dapr.io/api-token-secret': 't',
        'dapr.io/app-token-secret': 'u',
      },
      { containers: [{ name: 'app' }, { name: 'comp' }] },
    );
    const env = daprdEnv(testConfig(withComp, { env: { ENABLE_K8S_DOWNWARD_APIS: 'true' } }));
    expect(env.map((e) => e.name).slice(5)).toEqual([
      'DAPR_HOST_IP',
      'A',
      'B',
      'DAPR_ENV_KEYS',
      'DAPR_COMPONENT_SOCKETS_FOLDER',
      'DAPR_API_TOKEN',
      'APP_API_TOKEN',
    ]);
  });

  it('DAPR_ENV_KEYS still names a dropped env-from-secret entry', () => {
    const env = daprdEnv(testConfig(pod({ 'dapr.io/env-from-secret': 'B=s,C=x:y:z' })));
    expect(env.find((e) => e.name === 'DAPR_ENV_KEYS')?.value).toBe('B C');
  });

  it('SENTRY_LOCAL_IDENTITY is not injected', () => {
    expect(names({})).not.toContain('SENTRY_LOCAL_IDENTITY');
  });
});

describe('injector §3.5 volumes and mounts', () => {
  it('the projected token volume', () => {
    expect(podVolumesToAdd(testConfig(pod()), pod())).toEqual([
      {
        name: 'dapr-identity-token',
        projected: {
          sources: [
            {
              serviceAccountToken: {
                audience: 'spiffe://cluster.local/ns/dapr-system/dapr-sentry',
                expirationSeconds: 7200,
                path: 'token',
              },
            },
          ],
          defaultMode: 420,
        },
      },
    ]);
  });

  it('mount order: ro, rw, UDS, token, components; missing volumes skipped with a warning', () => {
    const p = { ...pod(), spec: { containers: [{ name: 'comp' }], volumes: [{ name: 'a' }, { name: 'b' }] } };
    const c = testConfig(
      {
        ...p,
        metadata: {
          annotations: {
            'dapr.io/volume-mounts': 'a:/a,zzz:/z',
            'dapr.io/volume-mounts-rw': 'b:/b',
            'dapr.io/unix-domain-socket-path': '/s',
            'dapr.io/pluggable-components': 'comp',
          },
        },
      },
      {},
    );
    const warnings: string[] = [];
    expect(daprdVolumeMounts(c, p, warnings)).toEqual([
      { name: 'a', readOnly: true, mountPath: '/a' },
      { name: 'b', mountPath: '/b' },
      { name: 'dapr-unix-domain-socket', mountPath: '/var/run/dapr-sockets' },
      { name: 'dapr-identity-token', readOnly: true, mountPath: '/var/run/secrets/dapr.io/sentrytoken' },
      { name: 'dapr-components-unix-domain-socket', mountPath: '/tmp/dapr-components-sockets' },
    ]);
    expect(warnings).toHaveLength(1);
  });
});

describe('injector §3.6 probes', () => {
  it('readiness HTTP /v1.0/healthz and liveness TCP, both on 3501, with defaults', () => {
    expect(daprdProbes(testConfig(pod()))).toEqual({
      readinessProbe: {
        httpGet: { path: '/v1.0/healthz', port: 3501 },
        initialDelaySeconds: 1,
        timeoutSeconds: 1,
        periodSeconds: 1,
        failureThreshold: 5,
      },
      livenessProbe: {
        tcpSocket: { port: 3501 },
        initialDelaySeconds: 180,
        timeoutSeconds: 3,
        periodSeconds: 10,
        failureThreshold: 5,
      },
    });
  });
});

describe('injector §3.7 securityContext', () => {
  const sc = (a: Record<string, string>, env: Record<string, string> = {}): SecurityContext => {
    const c = testConfig(pod(a), { env });
    return daprdSecurityContext(c, daprdEnv(c));
  };

  it.each([
    [
      'chart defaults',
      {},
      {},
      { allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true },
    ],
    [
      'user, group, drop ALL',
      {},
      { SIDECAR_RUN_AS_USER: '1000', SIDECAR_RUN_AS_GROUP: '2000', SIDECAR_DROP_ALL_CAPABILITIES: 'true' },
      {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 2000,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      },
    ],
    [
      'non-root and read-only off',
      {},
      { SIDECAR_RUN_AS_NON_ROOT: 'false', SIDECAR_READ_ONLY_ROOT_FILESYSTEM: 'no' },
      { allowPrivilegeEscalation: false, runAsNonRoot: false, readOnlyRootFilesystem: false },
    ],
    [
      'seccomp from the annotation',
      { 'dapr.io/sidecar-seccomp-profile-type': 'RuntimeDefault' },
      {},
      {
        allowPrivilegeEscalation: false,
        runAsNonRoot: true,
        readOnlyRootFilesystem: true,
        seccompProfile: { type: 'RuntimeDefault' },
      },
    ],
    [
      'SSL_CERT_DIR switches to the Windows context',
      { 'dapr.io/env': 'SSL_CERT_DIR=C:\\c' },
      { SIDECAR_RUN_AS_USER: '1000' },
      {
        allowPrivilegeEscalation: false,
        runAsNonRoot: false,
        readOnlyRootFilesystem: false,
        windowsOptions: { runAsUserName: 'ContainerAdministrator' },
      },
    ],
  ])('%s', (_name, annotations, env, expected) => {
    expect(sc(annotations, env)).toEqual(expected);
  });
});

describe('injector §3.8 resources', () => {
  it('none by default (an empty object, as Go marshals it)', () => {
    expect(daprdContainer(testConfig(pod()), pod(), []).resources).toEqual({});
  });
});
