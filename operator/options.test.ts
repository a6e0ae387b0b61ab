// docs/contracts/operator.md §6: the operator's flags (Go flag syntax), defaults, environment and validation.
import { describe, expect, it } from '@jest/globals';
import { parseOptions, parseWatchInterval, type OperatorOptions } from './options.js';

function options(argv: string[], env: NodeJS.ProcessEnv = {}): OperatorOptions {
  const outcome = parseOptions(argv, env);
  if (outcome.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(outcome)}`);
  return outcome.options;
}

describe('operator options', () => {
  it('operator §6: has upstream defaults', () => {
    expect(options([])).toMatchObject({
      configName: 'daprsystem',
      watchdog: { kind: 'disabled' },
      maxPodRestartsPerMinute: 20,
      disableLeaderElection: false,
      disableServiceReconciler: false,
      watchNamespace: '',
      enableArgoRolloutServiceReconciler: false,
      watchdogCanPatchPodLabels: false,
      trustAnchorsFile: '/var/run/secrets/dapr.io/tls/ca.crt',
      apiPort: 6500,
      apiListenAddress: '',
      healthzPort: 8080,
      webhookServerPort: 19443,
      webhookServerListenAddress: '',
      cacheSyncPeriodMs: 0,
      namespace: 'default',
      webhooksEnabled: true,
    });
  });

  it('reads its environment', () => {
    expect(
      options([], {
        NAMESPACE: 'dapr-system',
        ENABLE_WEBHOOKS: 'False',
        DAPR_SENTRY_TOKEN_FILE: '/t',
        SENTRY_LOCAL_IDENTITY: 'id',
      }),
    ).toMatchObject({
      namespace: 'dapr-system',
      webhooksEnabled: false,
      sentryTokenFile: '/t',
      sentryLocalIdentity: 'id',
    });
  });

  it("accepts the chart's arguments in single- and double-dash forms", () => {
    expect(
      options([
        '-watch-interval=2m',
        '--max-pod-restarts-per-minute',
        '5',
        '-log-level',
        'debug',
        '--trust-anchors-file',
        '/ca.crt',
        '--enable-metrics',
        '--metrics-port',
        '9090',
        '-log-as-json',
        '--watch-namespace',
        'apps',
        '-disable-service-reconciler',
        '--enable-argo-rollout-service-reconciler',
        '--watchdog-can-patch-pod-labels=true',
        '--cache-sync-period',
        '10h',
        '--kubeconfig',
        '/kc',
      ]),
    ).toMatchObject({
      watchdog: { kind: 'interval', intervalMs: 120_000 },
      maxPodRestartsPerMinute: 5,
      logging: { level: 'debug', json: true },
      trustAnchorsFile: '/ca.crt',
      watchNamespace: 'apps',
      disableServiceReconciler: true,
      enableArgoRolloutServiceReconciler: true,
      watchdogCanPatchPodLabels: true,
      cacheSyncPeriodMs: 36_000_000,
      kubeconfig: '/kc',
    });
  });

  it('uses Go flag wording for an unknown flag', () => {
    const outcome = parseOptions(['-nope'], {});
    expect(outcome).toMatchObject({ kind: 'exit', code: 2 });
    expect(outcome.stderr).toMatch(/^flag provided but not defined: -nope\n/);
  });
});

describe('parseWatchInterval', () => {
  it.each([
    ['0', { kind: 'disabled' }],
    ['false', { kind: 'disabled' }],
    ['OFF', { kind: 'disabled' }],
    ['no', { kind: 'disabled' }],
    ['once', { kind: 'once' }],
    ['Once', { kind: 'once' }],
    ['1s', { kind: 'interval', intervalMs: 1_000 }],
    ['2m', { kind: 'interval', intervalMs: 120_000 }],
  ])('reads %p', (text, setting) => {
    expect(parseWatchInterval(text)).toEqual(setting);
  });

  it.each([
    ['an interval under a second', '500ms', "if not '0' or 'once', must be at least 1s"],
    ['a number without a unit', '5', 'invalid value for watch-interval: missing unit in duration'],
  ])('rejects %s', (_name, text, message) => {
    expect(parseWatchInterval(text)).toContain(message);
  });
});
