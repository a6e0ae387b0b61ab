// The Prometheus endpoint (--metrics-port, default 9090). Upstream mounts its handler at `/`, so
// every path and method returns the metrics: the chart scrapes `/`, Dapr's tests `/metrics`.
// With --enable-metrics=false nothing listens and the health target is ready at once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from './node-http.js';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { HealthTarget, HealthTargets } from './health-targets.js';
import { applyServerTimeouts, serveUntilAborted } from './http-serve.js';
import type { Logger } from './logger.js';
import { untilAborted } from './runner.js';
import type { MetricsRegistry } from './metrics.js';

const gzipAsync = promisify(gzip);

export interface MetricsServerOptions {
  /** --enable-metrics. */
  readonly enabled: boolean;
  /** --metrics-port, already parsed to a number; 0 picks a free port (tests). */
  readonly port: number;
  /**
   * Bind address. Sentry, operator and injector bind all interfaces whatever
   * --metrics-listen-address says; placement binds its --listen-address (an upstream quirk).
   */
  readonly host?: string;
  readonly registry: MetricsRegistry;
  readonly targets: HealthTargets;
  readonly log: Logger;
}

export class MetricsServer {
  readonly #options: MetricsServerOptions;
  readonly #target: HealthTarget;
  #port: number | undefined;

  constructor(options: MetricsServerOptions) {
    this.#options = options;
    this.#target = options.targets.addTarget('metrics-exporter');
  }

  /** The bound port once listening; undefined when disabled. */
  get port(): number | undefined {
    return this.#port;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { registry } = this.#options;
    try {
      const text = await registry.scrape();
      const wantsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      const body = wantsGzip ? await gzipAsync(text) : Buffer.from(text);
      const headers: Record<string, string> = { 'Content-Type': registry.contentType };
      if (wantsGzip) headers['Content-Encoding'] = 'gzip';
      res.writeHead(200, headers);
      res.end(body);
    } catch (err) {
      this.#options.log.error({ err }, 'Error gathering metrics');
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`An error has occurred while serving metrics:\n\n${String(err)}\n`);
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const { enabled, port, host, log } = this.#options;
    if (!enabled) {
      this.#target.ready();
      await untilAborted(signal);
      return;
    }
    const server = createServer((req, res) => void this.#handle(req, res));
    applyServerTimeouts(server);
    try {
      await serveUntilAborted(
        {
          server,
          port,
          host,
          onListening: (address) => {
            this.#port = address.port;
            this.#target.ready();
            log.info(`metrics server started on ${host ?? ''}:${address.port}/`);
          },
        },
        signal,
      );
    } finally {
      this.#target.notReady();
    }
  }
}
