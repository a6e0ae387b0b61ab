// docs/contracts/injector-and-chart.md §1.2, §3.10, docs/contracts/observability.md §1, §4: the injector binary's process
// contract. Becoming healthy needs sentry and an apiserver, so that part lives in
// test/integration/injector; here: the command line, start-up refusals, health while waiting
// for a certificate, metrics, and a clean SIGTERM.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIP_UID_CHECK_ENV } from '../kit/root-check.js';
import { httpRequest } from '../kit/testing/http.js';
import { freePorts } from '../kit/testing/ports.js';
import { startService } from '../kit/testing/service-binary.js';
import { killAllProcesses } from '../kit/testing/managed-process.js';
import { waitFor } from '../kit/testing/wait.js';

const ENV = {
  NAMESPACE: 'dapr-system',
  SIDECAR_IMAGE: 'ghcr.io/dapr/daprd:1.18.3',
  [SKIP_UID_CHECK_ENV]: 'true',
  KUBERNETES_SERVICE_HOST: undefined,
  KUBECONFIG: undefined,
};

describe('the sidecar-injector binary', () => {
  let dir: string;
  let kubeconfig: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dapr-ts-unit-injector-'));
    kubeconfig = join(dir, 'kubeconfig');
    // An apiserver address nothing listens on: the process must start and wait, not crash.
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
  });
  afterEach(killAllProcesses);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints usage listing --scheduler-enabled and exits 0 on --help', async () => {
    const proc = await startService('sidecar-injector', { args: ['--help'], env: ENV });
    expect(await proc.waitForExit()).toBe(0);
    expect(proc.output).toContain('--scheduler-enabled');
  });

  it('exits 2 on an unknown flag', async () => {
    const proc = await startService('sidecar-injector', { args: ['--bogus'], env: ENV });
    expect(await proc.waitForExit()).toBe(2);
    expect(proc.output).toContain('unknown flag: --bogus');
  });

  it('exits 1 without SIDECAR_IMAGE', async () => {
    const proc = await startService('sidecar-injector', { env: { ...ENV, SIDECAR_IMAGE: undefined } });
    expect(await proc.waitForExit()).toBe(1);
    expect(proc.output).toContain('required environment variable SIDECAR_IMAGE is not set');
  });

  it('exits 1 on an allowed service account without ":"', async () => {
    const proc = await startService('sidecar-injector', {
      args: ['--kubeconfig', kubeconfig],
      env: { ...ENV, ALLOWED_SERVICE_ACCOUNTS: 'no-colon' },
    });
    expect(await proc.waitForExit()).toBe(1);
    expect(proc.output).toContain(String.raw`invalid allowed service account \"no-colon\"`);
  });

  it('exits 1 when there is no apiserver configuration', async () => {
    const proc = await startService('sidecar-injector', {
      args: ['--kubeconfig', ''],
      env: { ...ENV, HOME: dir },
    });
    expect(await proc.waitForExit()).toBe(1);
    expect(proc.output).toContain('Error creating the Kubernetes client');
  });

  it("accepts the chart's arguments, reports 503 until it holds a certificate, and exits 0 on SIGTERM", async () => {
    const [healthzPort = 0, metricsPort = 0, port = 0] = await freePorts(3);
    const proc = await startService('sidecar-injector', {
      args: [
        '--log-level',
        'info',
        '--log-as-json',
        '--enable-metrics',
        '--metrics-port',
        String(metricsPort),
        '--healthz-port',
        String(healthzPort),
        '--port',
        String(port),
        '--scheduler-enabled=true',
        '--kubeconfig',
        kubeconfig,
      ],
      env: {
        ...ENV,
        DAPR_TRUST_ANCHORS_FILE: join(dir, 'missing-ca.crt'),
        DAPR_SENTRY_ADDRESS: '127.0.0.1:9',
      },
    });
    const health = await waitFor(
      () =>
        httpRequest(`http://127.0.0.1:${healthzPort}/healthz`).then((r) =>
          r.status === 503 ? r : undefined,
        ),
      { what: 'the injector /healthz to answer 503', timeoutMs: 10_000 },
    );
    expect(health.status).toBe(503);
    const metrics = await httpRequest(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(metrics.body).toMatch(/^process_start_time_seconds \d+/m);
    expect(proc.output).toContain('Starting Dapr Sidecar Injector -- version ');
    expect(proc.output).toContain('Failed to get a certificate from sentry');
    proc.signalGroup('SIGTERM');
    expect(await proc.waitForExit(10_000)).toBe(0);
    expect(proc.output).toContain("Received signal 'terminated'; beginning shutdown");
  }, 30_000);
});
