// docs/contracts/observability.md §1–2: the registry's series and the metrics server.
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { HealthTargets } from './health-targets.js';
import { logger } from './logger.js';
import { MetricsServer } from './metrics-server.js';
import { MetricsRegistry } from './metrics.js';
import { httpRequest } from './testing/http.js';

describe('MetricsRegistry', () => {
  it('leaves a never-recorded counter out entirely (no HELP, no TYPE, no sample)', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    registry.counter({ name: 'dapr_test_requests_total', help: 'Requests.' });
    registry.counter({ name: 'dapr_test_failures_total', help: 'Failures.', labels: ['reason'] });
    expect(await registry.scrape()).not.toContain('dapr_test_');
  });

  it('prints a counter with its exact name, type, help and labels after the first increment', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    const failures = registry.counter({
      name: 'dapr_test_failures_total',
      help: 'Failures.',
      labels: ['reason'],
    });
    failures.inc({ reason: 'sign' });
    failures.inc({ reason: 'sign' });
    const text = await registry.scrape();
    expect(text).toContain('# HELP dapr_test_failures_total Failures.\n');
    expect(text).toContain('# TYPE dapr_test_failures_total counter\n');
    expect(text).toContain('dapr_test_failures_total{reason="sign"} 2\n');
  });

  it('exports an empty label value as label=""', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    registry.counter({ name: 'dapr_test_x_total', help: 'X.', labels: ['reason'] }).inc({ reason: '' });
    expect(await registry.scrape()).toContain('dapr_test_x_total{reason=""} 1\n');
  });

  it('types a gauge named _total as a gauge, keeping its last value', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    const runtimes = registry.gauge({
      name: 'dapr_test_runtimes_total',
      help: 'R.',
      labels: ['host_namespace'],
    });
    runtimes.set(3, { host_namespace: 'default' });
    runtimes.set(0, { host_namespace: 'default' });
    const text = await registry.scrape();
    expect(text).toContain('# TYPE dapr_test_runtimes_total gauge\n');
    expect(text).toContain('dapr_test_runtimes_total{host_namespace="default"} 0\n');
  });

  it('shows a gauge with an initial value from the start', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    registry.gauge({ name: 'dapr_test_leader_status', help: 'L.', initialValue: 0 });
    expect(await registry.scrape()).toContain('dapr_test_leader_status 0\n');
  });

  it('refuses to declare a metric twice', () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    registry.counter({ name: 'dapr_test_total', help: 'T.' });
    expect(() => registry.gauge({ name: 'dapr_test_total', help: 'T.' })).toThrow('metric declared twice');
  });

  it('includes the process defaults and exactly the two Go compatibility gauges', async () => {
    const text = await new MetricsRegistry().scrape();
    expect(text).toMatch(/^process_start_time_seconds \d+/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^go_memstats_alloc_bytes \d+/m);
    expect(text).toMatch(/^go_goroutines \d+/m);
    const goNames = new Set(text.match(/^go_\w+/gm));
    expect([...goNames].sort()).toEqual(['go_goroutines', 'go_memstats_alloc_bytes']);
  });
});

const stops: Array<() => Promise<void>> = [];

interface StartedMetrics {
  readonly server: MetricsServer;
  readonly targets: HealthTargets;
  readonly done: Promise<void>;
}

function startMetrics(enabled: boolean, port = 0): StartedMetrics {
  const registry = new MetricsRegistry();
  registry.counter({ name: 'dapr_test_requests_total', help: 'Requests.' }).inc();
  const targets = new HealthTargets();
  const server = new MetricsServer({
    enabled,
    port,
    host: '127.0.0.1',
    registry,
    targets,
    log: logger('dapr.test'),
  });
  const controller = new AbortController();
  const done = server.run(controller.signal);
  const stop = async (): Promise<void> => {
    controller.abort();
    await done.catch(() => undefined);
  };
  stops.push(stop);
  return { server, targets, done };
}

async function waitForPort(server: MetricsServer): Promise<number> {
  while (server.port === undefined) await new Promise((r) => setTimeout(r, 5));
  return server.port;
}

describe('MetricsServer', () => {
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  it.each([
    ['GET', '/'],
    ['GET', '/metrics'],
    ['GET', '/any/path?at=all'],
    ['POST', '/metrics'],
  ])('answers %s %s with the exposition text', async (method, path) => {
    const { server, targets } = startMetrics(true);
    const port = await waitForPort(server);
    const res = await httpRequest(`http://127.0.0.1:${port}${path}`, { method });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('dapr_test_requests_total 1\n');
    expect(targets.isHealthy()).toBe(true);
  });

  it('compresses with gzip when the scraper asks for it', async () => {
    const { server } = startMetrics(true);
    const port = await waitForPort(server);
    const body = await new Promise<Buffer>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${port}/`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        expect(res.headers['content-encoding']).toBe('gzip');
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
      });
      req.on('error', reject);
      req.end();
    });
    expect(gunzipSync(body).toString('utf8')).toContain('dapr_test_requests_total 1\n');
  });

  it('with --enable-metrics=false opens no port and is ready at once', async () => {
    const { server, targets } = startMetrics(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.port).toBeUndefined();
    expect(targets.isHealthy()).toBe(true);
  });

  it('fails when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const { done } = startMetrics(true, port);
      await expect(done).rejects.toThrow(`listen tcp 127.0.0.1:${port}`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
