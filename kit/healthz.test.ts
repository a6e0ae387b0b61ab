// docs/contracts/observability.md §4: /healthz semantics on a real server (ephemeral port, loopback).
import { afterEach, describe, expect, it } from '@jest/globals';
import { HealthTargets } from './health-targets.js';
import { HealthzServer } from './healthz.js';
import { configureLogging, logger } from './logger.js';
import { httpRequest } from './testing/http.js';

interface Running {
  readonly server: HealthzServer;
  readonly targets: HealthTargets;
  readonly url: (path: string) => string;
  readonly stop: () => Promise<void>;
}

const stops: Array<() => Promise<void>> = [];

async function startServer(
  setup?: (server: HealthzServer, targets: HealthTargets) => void,
): Promise<Running> {
  const targets = new HealthTargets();
  const server = new HealthzServer({ port: 0, targets, log: logger('dapr.test') });
  setup?.(server, targets);
  const controller = new AbortController();
  const done = server.run(controller.signal);
  while (server.port === undefined) await new Promise((r) => setTimeout(r, 5));
  const port = server.port;
  const stop = async (): Promise<void> => {
    controller.abort();
    await done;
  };
  stops.push(stop);
  return { server, targets, url: (path) => `http://127.0.0.1:${port}${path}`, stop };
}

describe('HealthzServer', () => {
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    configureLogging({ level: 'info', json: false });
  });

  it('answers 200 with an empty body once its own target is the only one and it listens', async () => {
    const { url } = await startServer();
    const res = await httpRequest(url('/healthz'));
    expect(res).toMatchObject({ status: 200, body: '' });
  });

  it.each(['GET', 'POST', 'HEAD', 'DELETE'])('answers /healthz for the %s method', async (method) => {
    const { url } = await startServer();
    expect((await httpRequest(url('/healthz'), { method })).status).toBe(200);
  });

  it('answers 503 with an empty body while any target is not ready, and logs which at debug', async () => {
    const lines: string[] = [];
    configureLogging({ level: 'debug', json: true, output: { write: (l: string) => lines.push(l) } });
    const { url } = await startServer((_s, targets) => {
      targets.addTarget('sentry-server');
      targets.addTarget('metrics-exporter').ready();
    });
    const res = await httpRequest(url('/healthz'));
    expect(res).toMatchObject({ status: 503, body: '' });
    const debug = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((r) => r.msg === 'targets are unhealthy');
    expect(debug).toMatchObject({ level: 'debug', targets: ['sentry-server'] });
  });

  it('turns 200 when the last target becomes ready, and 503 again when one goes not ready', async () => {
    let target: ReturnType<HealthTargets['addTarget']> | undefined;
    const { url } = await startServer((_s, targets) => {
      target = targets.addTarget('placement-grpc-server');
    });
    expect((await httpRequest(url('/healthz'))).status).toBe(503);
    target?.ready();
    expect((await httpRequest(url('/healthz'))).status).toBe(200);
    target?.notReady();
    expect((await httpRequest(url('/healthz'))).status).toBe(503);
  });

  it.each(['/healthz/', '/livez', '/readyz', '/', '/HEALTHZ'])(
    "answers %s with Go's 404 text",
    async (path) => {
      const { url } = await startServer();
      const res = await httpRequest(url(path));
      expect(res).toMatchObject({ status: 404, body: '404 page not found\n' });
    },
  );

  it('ignores the query string on /healthz', async () => {
    const { url } = await startServer();
    expect((await httpRequest(url('/healthz?verbose=1'))).status).toBe(200);
  });

  it('serves extra routes registered on the same port', async () => {
    const { url } = await startServer((server) => {
      server.addRoute('/placement/state', (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"tables":{}}');
      });
    });
    const res = await httpRequest(url('/placement/state'));
    expect(res).toMatchObject({ status: 200, body: '{"tables":{}}' });
    expect(res.headers['content-type']).toBe('application/json');
  });

  it('answers 500 when an extra route fails', async () => {
    const { url } = await startServer((server) => {
      server.addRoute('/broken', () => Promise.reject(new Error('not built yet')));
    });
    expect((await httpRequest(url('/broken'))).status).toBe(500);
  });

  it('refuses to register /healthz or a route twice', async () => {
    await startServer((server) => {
      expect(() => server.addRoute('/healthz', () => undefined)).toThrow('route already registered');
      server.addRoute('/x', () => undefined);
      expect(() => server.addRoute('/x', () => undefined)).toThrow('route already registered');
    });
  });

  it('logs where it listens and stops listening when aborted', async () => {
    const lines: string[] = [];
    configureLogging({ level: 'info', json: true, output: { write: (l: string) => lines.push(l) } });
    const { url, stop, targets } = await startServer();
    expect(lines.join('')).toMatch(
      /Healthz server is listening on \[::\]:\d+|Healthz server is listening on 0\.0\.0\.0:\d+/,
    );
    await stop();
    expect(targets.isHealthy()).toBe(false);
    await expect(httpRequest(url('/healthz'))).rejects.toThrow();
  });
});

describe('HealthTargets', () => {
  it('is unhealthy with no targets at all', () => {
    expect(new HealthTargets().isHealthy()).toBe(false);
  });

  it('refuses a duplicate target name', () => {
    const targets = new HealthTargets();
    targets.addTarget('a');
    expect(() => targets.addTarget('a')).toThrow('health target already registered: a');
  });

  it('marks everything not ready for shutdown and lists the names sorted', () => {
    const targets = new HealthTargets();
    targets.addTarget('b').ready();
    targets.addTarget('a').ready();
    expect(targets.isHealthy()).toBe(true);
    targets.markAllNotReady();
    expect(targets.unhealthyTargets()).toEqual(['a', 'b']);
  });

  it('forgets a removed target', () => {
    const targets = new HealthTargets();
    targets.addTarget('kept').ready();
    targets.addTarget('rebuilt');
    targets.removeTarget('rebuilt');
    expect(targets.isHealthy()).toBe(true);
  });
});
