// Shared inputs for the patcher's tests and golden files: the chart's default injector
// environment (release "dapr" in dapr-system) and fixed request facts.
import { injectorConfig, type InjectorConfig } from '../../annotations/injector-config.js';
import { sidecarConfig, type RequestFacts, type SidecarConfig } from '../../annotations/sidecar-config.js';
import { readInjectorEnv } from '../../options.js';
import type { Pod } from '../k8s-types.js';

export const TEST_TRUST_ANCHORS = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';

/** What the chart's injector Deployment sets, with default values. */
export const CHART_ENV: Readonly<Record<string, string>> = {
  SIDECAR_IMAGE: 'ghcr.io/dapr/daprd:1.18.3',
  SIDECAR_IMAGE_PULL_POLICY: 'IfNotPresent',
  NAMESPACE: 'dapr-system',
  KUBE_CLUSTER_DOMAIN: 'cluster.local',
  SIDECAR_RUN_AS_NON_ROOT: 'true',
  SIDECAR_READ_ONLY_ROOT_FILESYSTEM: 'true',
  SIDECAR_DROP_ALL_CAPABILITIES: 'false',
  ENABLE_K8S_DOWNWARD_APIS: 'false',
  DAPR_TRUST_ANCHORS_FILE: '/var/run/secrets/dapr.io/tls/ca.crt',
  DAPR_CONTROL_PLANE_TRUST_DOMAIN: 'cluster.local',
  DAPR_SENTRY_ADDRESS: 'dapr-sentry.dapr-system.svc.cluster.local:443',
  ACTORS_ENABLED: 'true',
  ACTORS_SERVICE_NAME: 'placement',
  ACTORS_SERVICE_ADDRESS: 'dapr-placement-server:50005',
  IGNORE_ENTRYPOINT_TOLERATIONS:
    '[{"effect":"NoSchedule","key":"alibabacloud.com/eci"},{"effect":"NoSchedule","key":"azure.com/aci"},' +
    '{"effect":"NoSchedule","key":"aws"},{"effect":"NoSchedule","key":"huawei.com/cci"}]',
};

export const TEST_REQUEST: RequestFacts = {
  namespace: 'default',
  trustAnchors: TEST_TRUST_ANCHORS,
  mtlsEnabled: true,
};

export interface FixtureOverrides {
  /** Injector env entries replacing CHART_ENV's (a null value removes the variable). */
  readonly env?: Readonly<Record<string, string | null>>;
  readonly schedulerEnabled?: boolean;
  readonly request?: Partial<RequestFacts>;
}

export function testInjector(overrides: FixtureOverrides = {}): InjectorConfig {
  const env: Record<string, string> = { ...CHART_ENV };
  for (const [k, v] of Object.entries(overrides.env ?? {})) {
    if (v === null) delete env[k];
    else env[k] = v;
  }
  return injectorConfig({ env: readInjectorEnv(env), schedulerEnabled: overrides.schedulerEnabled ?? true })
    .config;
}

export function testConfig(pod: Pod, overrides: FixtureOverrides = {}): SidecarConfig {
  return sidecarConfig(pod, testInjector(overrides), { ...TEST_REQUEST, ...overrides.request }).config;
}

/** A Deployment-made pod (generateName, no name) with the given annotations and one app container. */
export function testPod(
  annotations: Record<string, string>,
  spec: Partial<NonNullable<Pod['spec']>> = {},
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'myapp-7d9c-', namespace: 'default', labels: { app: 'myapp' }, annotations },
    spec: { containers: [{ name: 'app', image: 'example/app:1' }], ...spec },
  };
}
