// The /healthz HTTP server (--healthz-port). Exactly `/healthz`, any method: 200 with an empty
// body when every health target is ready, else 503. Other paths get Go's 404 text unless a
// service registered them (placement adds /placement/state).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from './node-http.js';
import type { HealthTarget, HealthTargets } from './health-targets.js';
import { applyServerTimeouts, formatAddress, serveUntilAborted } from './http-serve.js';
import type { Logger } from './logger.js';

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface HealthzServerOptions {
  /** --healthz-port; 0 picks a free port (tests). --healthz-listen-address is ignored, as upstream. */
  readonly port: number;
  readonly targets: HealthTargets;
  /** The service's main logger (upstream logs these lines in the main scope). */
  readonly log: Logger;
}

/** Go's http.NotFound: the body and headers a 404 from a Go mux carries. */
export function notFound(res: ServerResponse): void {
  res.writeHead(404, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end('404 page not found\n');
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export class HealthzServer {
  readonly #options: HealthzServerOptions;
  readonly #self: HealthTarget;
  readonly #routes = new Map<string, RouteHandler>();
  #port: number | undefined;

  constructor(options: HealthzServerOptions) {
    this.#options = options;
    this.#self = options.targets.addTarget('healthz-server');
  }

  /** Adds a route on the same port (exact path, any method). Register before run(). */
  addRoute(path: string, handler: RouteHandler): void {
    if (path === '/healthz' || this.#routes.has(path)) throw new Error(`route already registered: ${path}`);
    this.#routes.set(path, handler);
  }

  /** The bound port once listening (useful when started on port 0). */
  get port(): number | undefined {
    return this.#port;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req);
    if (path === '/healthz') {
      const { targets, log } = this.#options;
      const healthy = targets.isHealthy();
      if (!healthy) log.debug({ targets: targets.unhealthyTargets() }, 'targets are unhealthy');
      res.writeHead(healthy ? 200 : 503, { 'Content-Length': '0' });
      res.end();
      return;
    }
    const route = this.#routes.get(path);
    if (route === undefined) {
      notFound(res);
      return;
    }
    Promise.resolve(route(req, res)).catch((err: unknown) => {
      this.#options.log.error({ err }, `Error serving ${path}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end();
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const server = createServer((req, res) => this.#handle(req, res));
    applyServerTimeouts(server);
    try {
      await serveUntilAborted(
        {
          server,
          port: this.#options.port,
          onListening: (address) => {
            this.#port = address.port;
            this.#self.ready();
            this.#options.log.info(`Healthz server is listening on ${formatAddress(address)}`);
          },
        },
        signal,
      );
    } finally {
      this.#self.notReady();
    }
  }
}
