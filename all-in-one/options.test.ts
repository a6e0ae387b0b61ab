import { describe, expect, it } from '@jest/globals';
import { parseOptions, splitCommandLine } from './options.js';

const ENV = { NAMESPACE: 'dapr-system', SIDECAR_IMAGE: 'ghcr.io/dapr/daprd:1.18.3' };

describe('the all-in-one command line', () => {
  it('common flags first, then one group per service, each parsed by its own parser', () => {
    const outcome = parseOptions(
      [
        '--healthz-port=8081',
        '--kubeconfig',
        '/kc',
        'sentry',
        '--port',
        '50001',
        'placement',
        '--port=50005',
        '--tls-enabled',
        'operator',
        '--webhook-server-port',
        '19443',
        'injector',
        '--port',
        '4000',
      ],
      ENV,
    );
    expect(outcome.kind).toBe('run');
    if (outcome.kind !== 'run') return;
    const o = outcome.options;
    expect(o.healthzPort).toBe(8081);
    expect(o.kubeconfig).toBe('/kc');
    expect(o.sentry.port).toBe(50001);
    expect(o.placement.port).toBe(50005);
    expect(o.placement.tlsEnabled).toBe(true);
    expect(o.operator.webhookServerPort).toBe(19443);
    expect(o.injector.port).toBe(4000);
    // The Kubernetes-only services make it a Kubernetes process; the kubeconfig reaches every service.
    expect(o.sentry.mode).toBe('kubernetes');
    expect(o.placement.mode).toBe('kubernetes');
    expect([o.sentry, o.placement, o.operator].map((s) => s.kubeconfig)).toEqual(['/kc', '/kc', '/kc']);
  });

  it('a group left out runs its service with its defaults', () => {
    const outcome = parseOptions([], ENV);
    expect(outcome.kind).toBe('run');
    if (outcome.kind === 'run') expect(outcome.options.operator.apiPort).toBe(6500);
  });

  it.each([
    [['sentry', '--healthz-port', '1'], '--healthz-port belongs before the first service name'],
    [['placement', '-metrics-port=1'], '--metrics-port belongs before the first service name'],
    [['operator', '--log-level', 'debug'], 'not in the operator group'],
    [['injector', '--kubeconfig=/x'], 'not in the injector group'],
    [['sentry', 'operator', 'sentry'], 'the sentry group is given twice'],
  ])('refuses %j', (argv, message) => {
    const outcome = parseOptions(argv, ENV);
    expect(outcome).toMatchObject({ kind: 'exit', code: 2 });
    expect(outcome.stderr).toContain(message);
  });

  it("a service's own invalid value or environment names the service", () => {
    expect(parseOptions(['operator', '--watch-interval=10ms'], ENV)).toMatchObject({
      kind: 'invalid',
      message: "operator: invalid watch-interval value: if not '0' or 'once', must be at least 1s",
    });
    expect(parseOptions([], { NAMESPACE: 'dapr-system' })).toMatchObject({
      kind: 'invalid',
      message: 'injector: required environment variable SIDECAR_IMAGE is not set',
    });
  });

  it('a flag value spelled like a service name must use --flag=value', () => {
    expect(splitCommandLine(['operator', '--config=sentry'])).toEqual({
      common: [],
      groups: new Map([['operator', ['--config=sentry']]]),
    });
  });
});
