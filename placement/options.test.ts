// docs/contracts/placement.md §6: placement's flags, defaults, environment and validation.
import { describe, expect, it } from '@jest/globals';
import { parseOptions, parsePeers, type PlacementOptions } from './options.js';

function options(argv: string[], env: NodeJS.ProcessEnv = {}): PlacementOptions {
  const outcome = parseOptions(argv, env);
  if (outcome.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(outcome)}`);
  return outcome.options;
}

describe('placement options', () => {
  it('placement §6: has upstream defaults', () => {
    expect(options([])).toMatchObject({
      raftId: 'dapr-placement-0',
      raftPeers: [{ id: 'dapr-placement-0', address: '127.0.0.1:8201' }],
      port: 50005,
      listenAddress: '',
      healthzPort: 8080,
      tlsEnabled: false,
      metadataEnabled: false,
      replicationFactor: 100,
      keepaliveTimeMs: 2_000,
      keepaliveTimeoutMs: 3_000,
      disseminateTimeoutMs: 8_000,
      disseminateCoalesceWindowMs: 0,
      trustDomain: 'localhost',
      trustAnchorsFile: '/var/run/secrets/dapr.io/tls/ca.crt',
      sentryAddress: 'dapr-sentry.default.svc:443',
      mode: 'standalone',
      namespace: 'default',
      metrics: { enabled: true, port: 9090, listenAddress: '0.0.0.0' },
      logging: { level: 'info', json: false, file: '' },
    });
  });

  it('takes the metadata default and the sentry address namespace from the environment', () => {
    const env = { DAPR_PLACEMENT_METADATA_ENABLED: 'yes', NAMESPACE: 'dapr-system' };
    expect(options([], env)).toMatchObject({
      metadataEnabled: true,
      sentryAddress: 'dapr-sentry.dapr-system.svc:443',
      namespace: 'dapr-system',
    });
    expect(options(['--metadata-enabled=false'], env).metadataEnabled).toBe(false);
  });

  it("accepts the chart's HA arguments, ignored raft and API-level flags included", () => {
    const outcome = parseOptions(
      [
        '--id',
        'dapr-placement-server-1',
        '--initial-cluster',
        'dapr-placement-server-0=p0:8201,dapr-placement-server-1=p1:8201',
        '--raft-logstore-path',
        '/var/run/dapr/raft-log',
        '--inmem-store-enabled=false',
        '--replicationFactor',
        '50',
        '--max-api-level',
        '10',
        '--min-api-level',
        '0',
        '--keepalive-time',
        '1s',
        '--keepalive-timeout',
        '10s',
        '--disseminate-timeout',
        '2s',
        '--disseminate-coalesce-window',
        '250ms',
        '--tls-enabled',
        '--mode',
        'kubernetes',
        '--metrics-listen-address',
        '10.0.0.1',
      ],
      {},
    );
    expect(outcome).toMatchObject({
      kind: 'run',
      stderr: expect.stringContaining('Flag --max-api-level has been deprecated') as unknown,
      options: {
        raftId: 'dapr-placement-server-1',
        raftPeers: [
          { id: 'dapr-placement-server-0', address: 'p0:8201' },
          { id: 'dapr-placement-server-1', address: 'p1:8201' },
        ],
        replicationFactor: 50,
        keepaliveTimeMs: 1_000,
        keepaliveTimeoutMs: 10_000,
        disseminateTimeoutMs: 2_000,
        disseminateCoalesceWindowMs: 250,
        tlsEnabled: true,
        mode: 'kubernetes',
      },
    });
  });

  it.each([
    [
      'keepalive-time below 1s',
      ['--keepalive-time', '999ms'],
      'invalid value for keepalive-time: value should be between 1s and 10s, got 999ms',
    ],
    ['keepalive-time above 10s', ['--keepalive-time', '11s'], 'got 11s'],
    [
      'keepalive-timeout below 1s',
      ['--keepalive-timeout', '0'],
      'invalid value for keepalive-timeout: value should be between 1s and 10s, got 0s',
    ],
    ['keepalive-timeout above 10s', ['--keepalive-timeout=1m'], 'got 1m0s'],
  ])('placement §6: rejects %s', (_name, argv, message) => {
    const outcome = parseOptions(argv, {});
    expect(outcome.kind === 'invalid' && outcome.message).toContain(message);
  });
});

describe('parsePeers', () => {
  it('skips malformed entries and trims, as upstream', () => {
    expect(parsePeers([' a = h:1 ', 'nope', 'x=y=z', 'b=h:2'])).toEqual([
      { id: 'a', address: 'h:1' },
      { id: 'b', address: 'h:2' },
    ]);
  });

  it('leader election (dapr-ts flags): defaults near raft failover, overridable, and ordered', () => {
    expect(options([]).leaderElection).toEqual({
      leaseName: 'dapr-placement-leader',
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 1_000,
    });
    expect(options([]).kubeconfig).toBe('');
    expect(
      options([
        '--leader-election-lease-duration=2s',
        '--leader-election-renew-deadline',
        '1500ms',
        '-leader-election-retry-period=300ms',
        '--leader-election-lease-name',
        'x',
        '--kubeconfig',
        '/k',
      ]),
    ).toMatchObject({
      kubeconfig: '/k',
      leaderElection: { leaseName: 'x', leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 300 },
    });
    const bad = parseOptions(['--leader-election-renew-deadline=5s'], {});
    expect(bad.kind).toBe('invalid');
    expect(bad.kind === 'invalid' && bad.message).toContain('leader-election-lease-duration');
  });
});
