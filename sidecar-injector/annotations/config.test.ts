import { describe, expect, it } from '@jest/globals';
import { testConfig, testInjector, testPod } from '../patcher/testing/fixtures.js';
import { readInjectorEnv } from '../options.js';
import {
  clusterDomainFromResolvConf,
  injectorConfig,
  parseServiceAddress,
  type InjectorConfigResult,
} from './injector-config.js';
import { normaliseAppProtocol } from './sidecar-config.js';

describe('injector §3.10 injector environment', () => {
  const fromEnv = (env: Record<string, string>, detected?: string): InjectorConfigResult =>
    injectorConfig({
      env: readInjectorEnv({ SIDECAR_IMAGE: 'img', NAMESPACE: 'cp', ...env }),
      schedulerEnabled: true,
      ...(detected !== undefined ? { detectedClusterDomain: detected } : {}),
    });

  it('empty ACTORS_ENABLED, SIDECAR_RUN_AS_NON_ROOT and SIDECAR_READ_ONLY_ROOT_FILESYSTEM mean true', () => {
    const { config } = fromEnv({});
    expect(config.actorsEnabled).toBe(true);
    expect(config.runAsNonRoot).toBe(true);
    expect(config.readOnlyRootFilesystem).toBe(true);
    expect(config.dropAllCapabilities).toBe(false);
    expect(config.nativeSidecarEnabled).toBe(false);
  });

  it.each([
    ['Always', 'Always'],
    ['Never', 'Never'],
    ['IfNotPresent', 'IfNotPresent'],
    ['always', 'IfNotPresent'],
    ['', 'IfNotPresent'],
  ])('SIDECAR_IMAGE_PULL_POLICY %p gives %p', (value, expected) => {
    expect(fromEnv({ SIDECAR_IMAGE_PULL_POLICY: value }).config.pullPolicy).toBe(expected);
  });

  it('an absent SIDECAR_IMAGE_PULL_POLICY gives the binary default Always', () => {
    expect(fromEnv({}).config.pullPolicy).toBe('Always');
  });

  it('KUBE_CLUSTER_DOMAIN wins; empty falls back to the detected domain', () => {
    expect(fromEnv({ KUBE_CLUSTER_DOMAIN: 'corp.local' }, 'x.local').config.clusterDomain).toBe('corp.local');
    expect(fromEnv({}, 'x.local').config.clusterDomain).toBe('x.local');
    expect(fromEnv({}).config.clusterDomain).toBe('cluster.local');
  });

  it('resolv.conf: the first sorted search domain, else cluster.local', () => {
    const text = 'nameserver 10.0.0.10\nsearch ns.svc.k8s.local svc.k8s.local k8s.local\noptions ndots:5\n';
    expect(clusterDomainFromResolvConf(text)).toBe('k8s.local');
    expect(clusterDomainFromResolvConf('nameserver 1.1.1.1\n')).toBe('cluster.local');
  });

  it('bad IGNORE_ENTRYPOINT_TOLERATIONS only warns', () => {
    const { config, warnings, errors } = fromEnv({ IGNORE_ENTRYPOINT_TOLERATIONS: '{nope' });
    expect(config.ignoreEntrypointTolerations).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it.each([
    ['SIDECAR_RUN_AS_USER', 'root'],
    ['SIDECAR_RUN_AS_GROUP', '1.5'],
    ['ACTORS_SERVICE_NAME', 'scheduler'],
    ['REMINDERS_SERVICE_NAME', 'scheduler'],
  ])('%s=%p with no valid companion value stops the injector from starting', (name, value) => {
    expect(fromEnv({ [name]: value }).errors).toHaveLength(1);
  });

  it.each([
    ['dapr-scheduler-server:50006', { service: 'dapr-scheduler-server', port: 50006 }],
    ['svc:+7', { service: 'svc', port: 7 }],
    ['svc:0', undefined],
    [':50006', undefined],
    ['svc:', undefined],
    ['svc', undefined],
    ['a:b:1', undefined],
  ])('service address %p parses to %p', (text, expected) => {
    expect(parseServiceAddress(text)).toEqual(expected);
  });
});

describe('injector §3.9 control-plane addresses', () => {
  it('defaults: operator, sentry, placement and scheduler in the control-plane namespace', () => {
    const c = testConfig(testPod({ 'dapr.io/enabled': 'true' }));
    expect(c.operatorAddress).toBe('dapr-api.dapr-system.svc.cluster.local:443');
    expect(c.sentryAddress).toBe('dapr-sentry.dapr-system.svc.cluster.local:443');
    expect(c.placementAddress).toBe('dapr-placement-server.dapr-system.svc.cluster.local:50005');
    expect(c.schedulerAddress).toBe('dapr-scheduler-server-a.dapr-system.svc.cluster.local:443');
    expect(c.actorsServiceArg).toBeUndefined();
    expect(c.remindersServiceArg).toBeUndefined();
  });

  it.each([
    ['absent', {}, 'dapr-placement-server.dapr-system.svc.cluster.local:50005'],
    ['explicit ""', { 'dapr.io/placement-host-address': '""' }, ''],
    ['custom', { 'dapr.io/placement-host-address': ' p:1 ' }, 'p:1'],
  ])('placement annotation %s', (_name, annotations, expected) => {
    expect(testConfig(testPod(annotations)).placementAddress).toBe(expected);
  });

  it('the placement annotation is honoured even when actors are disabled', () => {
    const env = { env: { ACTORS_ENABLED: 'false' } };
    expect(testConfig(testPod({}), env).placementAddress).toBe('');
    expect(testConfig(testPod({ 'dapr.io/placement-host-address': 'p:1' }), env).placementAddress).toBe(
      'p:1',
    );
  });

  it('another actors service gives --actors-service name:svc.ns.svc.domain:port; placement wins when set', () => {
    const env = {
      env: { ACTORS_SERVICE_NAME: 'scheduler', ACTORS_SERVICE_ADDRESS: 'dapr-scheduler-server:50006' },
    };
    const c = testConfig(testPod({}), env);
    expect(c.placementAddress).toBe('');
    expect(c.actorsServiceArg).toBe('scheduler:dapr-scheduler-server.dapr-system.svc.cluster.local:50006');
    expect(testConfig(testPod({ 'dapr.io/placement-host-address': 'p:1' }), env).placementAddress).toBe(
      'p:1',
    );
  });

  it('reminders service whenever named; "default" prints the zero service, as upstream', () => {
    const named = {
      REMINDERS_SERVICE_NAME: 'scheduler',
      REMINDERS_SERVICE_ADDRESS: 'dapr-scheduler-server:50006',
    };
    expect(testConfig(testPod({}), { env: named }).remindersServiceArg).toBe(
      'scheduler:dapr-scheduler-server.dapr-system.svc.cluster.local:50006',
    );
    const zero = testConfig(testPod({}), { env: { REMINDERS_SERVICE_NAME: 'default' } });
    expect(zero.remindersServiceArg).toBe('default:.dapr-system.svc.cluster.local:0');
    expect(testConfig(testPod({})).remindersServiceArg).toBeUndefined();
  });

  it.each([
    ['absent, scheduler enabled', {}, true, 'dapr-scheduler-server-a.dapr-system.svc.cluster.local:443'],
    ['absent, scheduler disabled', {}, false, undefined],
    ['present but empty', { 'dapr.io/scheduler-host-address': '' }, true, ''],
    ['custom even when disabled', { 'dapr.io/scheduler-host-address': ' s:1 ' }, false, 's:1'],
  ])('scheduler annotation %s', (_name, annotations, schedulerEnabled, expected) => {
    expect(testConfig(testPod(annotations), { schedulerEnabled }).schedulerAddress).toBe(expected);
  });
});

describe('injector §1.5 APP_PROTOCOL normalisation', () => {
  it.each([
    ['http', false, 'http'],
    ['HTTP', false, 'http'],
    ['', false, 'http'],
    ['grpc', false, 'grpc'],
    ['h2c', false, 'h2c'],
    ['grpcs', false, 'grpcs'],
    ['http', true, 'https'],
    ['grpc', true, 'grpcs'],
    ['', true, 'http'],
    ['thrift', false, undefined],
  ])('%p with app-ssl %p gives %p', (raw, ssl, expected) => {
    expect(normaliseAppProtocol(raw, ssl)).toBe(expected);
  });
});

describe('injector §3 sidecar config', () => {
  it('app-id falls back to the pod name; generateName pods have none', () => {
    const named = { ...testPod({}), metadata: { name: 'web-0' } };
    expect(testConfig(named).appId).toBe('web-0');
    expect(testConfig(testPod({})).appId).toBe('');
    expect(testConfig(testPod({ 'dapr.io/app-id': 'a' })).appId).toBe('a');
  });

  it('dapr.io/sidecar-image overrides SIDECAR_IMAGE', () => {
    expect(testConfig(testPod({})).image).toBe('ghcr.io/dapr/daprd:1.18.3');
    expect(testConfig(testPod({ 'dapr.io/sidecar-image': 'x/y:z' })).image).toBe('x/y:z');
  });

  it('dapr.io/enable-native-sidecar overrides NATIVE_SIDECAR_ENABLED both ways', () => {
    const on = { env: { NATIVE_SIDECAR_ENABLED: 'true' } };
    expect(testConfig(testPod({}), on).nativeSidecar).toBe(true);
    expect(testConfig(testPod({ 'dapr.io/enable-native-sidecar': 'false' }), on).nativeSidecar).toBe(false);
    expect(testConfig(testPod({ 'dapr.io/enable-native-sidecar': 'yes' })).nativeSidecar).toBe(true);
  });

  it('resources are all-or-nothing', () => {
    const ok = testConfig(
      testPod({ 'dapr.io/sidecar-cpu-limit': '1', 'dapr.io/sidecar-memory-request': '64Mi' }),
    );
    expect(ok.resources).toEqual({ limits: { cpu: '1' }, requests: { memory: '64Mi' } });
    const bad = testConfig(
      testPod({ 'dapr.io/sidecar-cpu-limit': '1', 'dapr.io/sidecar-memory-request': 'big' }),
    );
    expect(bad.resources).toBeUndefined();
    expect(testConfig(testPod({})).resources).toBeUndefined();
  });

  it('the token audience is the Sentry SPIFFE ID in the control-plane trust domain', () => {
    const c = testConfig(testPod({}), { env: { DAPR_CONTROL_PLANE_TRUST_DOMAIN: 'example.org' } });
    expect(c.sentryTokenAudience).toBe('spiffe://example.org/ns/dapr-system/dapr-sentry');
  });

  it('the fixture injector is the chart default', () => {
    expect(testInjector().controlPlaneNamespace).toBe('dapr-system');
  });
});
