// docs/contracts/placement.md §6, docs/contracts/observability.md §1, §4: the placement binary's process contract.
import { afterEach, describe, expect, it } from '@jest/globals';
import { describeBinaryContract } from '../kit/testing/binary-contract.js';
import { httpRequest } from '../kit/testing/http.js';
import { startHealthyService, startService } from '../kit/testing/service-binary.js';
import { killAllProcesses } from '../kit/testing/managed-process.js';

describeBinaryContract({
  service: 'placement',
  title: 'Dapr Placement Service',
  env: {},
  upstreamFlag: 'replicationFactor',
  // As the chart's StatefulSet passes them (HA form), with the ports left to the harness.
  chartArgs: [
    '--id',
    'dapr-placement-server-0',
    '--initial-cluster',
    'dapr-placement-server-0=dapr-placement-server-0.dapr-placement-server.dapr-system.svc.cluster.local:8201',
    '--raft-logstore-path',
    '/var/run/dapr/raft-log',
    '--log-level',
    'info',
    '--log-as-json',
    '--metadata-enabled=false',
    '--replicationFactor',
    '100',
    '--max-api-level',
    '10',
    '--min-api-level',
    '0',
    '--keepalive-time',
    '2s',
    '--keepalive-timeout',
    '3s',
    '--disseminate-timeout',
    '2s',
    '--disseminate-coalesce-window',
    '0s',
    '--enable-metrics',
    // The chart also passes --tls-enabled; with it placement needs sentry for its identity
    // before it is healthy, which test/integration/placement covers against a real cluster.
    '--trust-domain',
    'cluster.local',
    '--trust-anchors-file',
    '/var/run/secrets/dapr.io/tls/ca.crt',
    '--sentry-address',
    'dapr-sentry.dapr-system.svc.cluster.local:443',
  ],
  kubernetesArgs: ['--mode', 'kubernetes'],
});

describe('the placement binary metrics', () => {
  afterEach(killAllProcesses);

  // One --initial-cluster peer: the single replica leads from the start (placement/leadership.ts).
  it('placement §6: exposes both leader gauges (1: the only replica leads), and no runtime gauges yet', async () => {
    const { proc, metricsPort } = await startHealthyService('placement');
    const { body } = await httpRequest(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(body).toMatch(/^dapr_placement_leader_status 1$/m);
    expect(body).toMatch(/^dapr_placement_raft_leader_status 1$/m);
    expect(body).not.toContain('dapr_placement_runtimes_total');
    proc.signalGroup('SIGTERM');
    expect(await proc.waitForExit()).toBe(0);
  }, 30_000);
});

describe('the placement binary with several peers', () => {
  afterEach(killAllProcesses);

  const peers = [
    '--initial-cluster',
    'p-0=127.0.0.1:8201,p-1=127.0.0.1:8202,p-2=127.0.0.1:8203',
    '--id',
    'p-0',
  ];

  it('placement §5: refuses HA in standalone mode (no apiserver to elect through), exit 1', async () => {
    const proc = await startService('placement', {
      args: [...peers, '--port', '0', '--healthz-port', '0'],
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output).toContain('needs --mode kubernetes');
  }, 30_000);

  it('placement §5: in Kubernetes mode without an apiserver connection, exits 1 saying why', async () => {
    const proc = await startService('placement', {
      args: [...peers, '--mode', 'kubernetes', '--port', '0', '--healthz-port', '0', '--metrics-port', '0'],
      env: {
        KUBECONFIG: undefined,
        KUBERNETES_SERVICE_HOST: undefined,
        DAPR_UNSAFE_SKIP_CONTAINER_UID_GID_CHECK: 'true',
      },
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output).toContain('no kubeconfig given');
  }, 30_000);
});
