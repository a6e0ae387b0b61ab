// docs/contracts/injector-and-chart.md §1.2 and §3.10: the injector's flags and environment.
import { describe, expect, it } from '@jest/globals';
import { parseOptions, type InjectorOptions } from './options.js';

const REQUIRED = { SIDECAR_IMAGE: 'ghcr.io/dapr/daprd:1.18.3', NAMESPACE: 'dapr-system' };

function options(argv: string[], env: NodeJS.ProcessEnv = REQUIRED): InjectorOptions {
  const outcome = parseOptions(argv, env);
  if (outcome.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(outcome)}`);
  return outcome.options;
}

describe('injector options', () => {
  it('injector §1.2: has upstream defaults', () => {
    expect(options([])).toMatchObject({
      port: 4000,
      healthzPort: 8080,
      schedulerEnabled: true,
      kubeconfig: '',
      metrics: { enabled: true, port: 9090 },
      env: {
        sidecarImage: 'ghcr.io/dapr/daprd:1.18.3',
        namespace: 'dapr-system',
        sidecarImagePullPolicy: 'Always',
        controlPlaneTrustDomain: 'cluster.local',
        trustAnchorsFile: '/var/run/dapr.io/tls/ca.crt',
        sentryAddress: '',
      },
    });
  });

  it("accepts the chart's arguments and environment", () => {
    const o = options(
      [
        '--log-level',
        'info',
        '--log-as-json',
        '--enable-metrics',
        '--metrics-port',
        '9090',
        '--healthz-port',
        '8080',
        '--scheduler-enabled=false',
      ],
      {
        ...REQUIRED,
        SIDECAR_IMAGE_PULL_POLICY: 'IfNotPresent',
        DAPR_TRUST_ANCHORS_FILE: '/var/run/secrets/dapr.io/tls/ca.crt',
        DAPR_CONTROL_PLANE_TRUST_DOMAIN: 'example.org',
        ALLOWED_SERVICE_ACCOUNTS: 'argo:*',
        SIDECAR_RUN_AS_NON_ROOT: 'true',
        KUBE_CLUSTER_DOMAIN: 'cluster.local',
      },
    );
    expect(o).toMatchObject({
      schedulerEnabled: false,
      logging: { json: true },
      env: {
        sidecarImagePullPolicy: 'IfNotPresent',
        trustAnchorsFile: '/var/run/secrets/dapr.io/tls/ca.crt',
        controlPlaneTrustDomain: 'example.org',
        allowedServiceAccounts: 'argo:*',
        runAsNonRoot: 'true',
        kubeClusterDomain: 'cluster.local',
      },
    });
  });

  it.each([
    ['SIDECAR_IMAGE', { NAMESPACE: 'x' }],
    ['NAMESPACE', { SIDECAR_IMAGE: 'x' }],
  ])('injector §3.10: requires %s', (name, env) => {
    const outcome = parseOptions([], env);
    expect(outcome.kind === 'invalid' && outcome.message).toBe(
      `required environment variable ${name} is not set`,
    );
  });

  it('accepts and ignores --listen-address, as upstream', () => {
    expect(options(['--listen-address', '10.0.0.1', '--port', '4443']).port).toBe(4443);
  });
});
