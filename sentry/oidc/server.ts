// The OIDC discovery server (docs/contracts/sentry.md §7 "OIDC server"): oidc/routes.ts on HTTP, or on HTTPS
// with --oidc-server-tls-cert-file/-key-file. Like upstream it waits for the certificate files
// to appear (a Kubernetes Secret mounted late) and is the `oidc-server` health target.
import { access, readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { HealthTarget } from '../../kit/health-targets.js';
import { applyServerTimeouts, formatAddress, serveUntilAborted } from '../../kit/http-serve.js';
import { createServer as createHttpServer } from '../../kit/node-http.js';
import { abortableDelay } from '../../kit/kubernetes/list-watch.js';
import type { Logger } from '../../kit/logger.js';
import { OidcRoutes, type OidcRoutesOptions } from './routes.js';

/** How often the certificate files are looked for while they are missing (upstream: 5 s). */
const TLS_FILE_POLL_MS = 5_000;
/** A discovery client needs a handful of connections; bound them. */
const MAX_CONNECTIONS = 256;

export interface OidcServerOptions extends Omit<OidcRoutesOptions, 'tls'> {
  readonly port: number;
  /** --oidc-server-listen-address. */
  readonly listenAddress: string;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly health?: HealthTarget;
  readonly log: Logger;
  readonly onListening?: (port: number) => void;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export class OidcServer {
  readonly #options: OidcServerOptions;
  readonly #routes: OidcRoutes;
  readonly #tls: boolean;

  constructor(options: OidcServerOptions) {
    this.#options = options;
    this.#tls = options.tlsCertFile !== undefined && options.tlsKeyFile !== undefined;
    this.#routes = new OidcRoutes({ ...options, tls: this.#tls });
    if (options.pathPrefix !== undefined) {
      options.log.info(`Using path prefix "${options.pathPrefix}" for OIDC HTTP endpoints`);
    }
  }

  #respond(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const forwardedHost = firstHeader(req.headers['x-forwarded-host']);
    const response = this.#routes.handle({
      method: req.method ?? 'GET',
      path,
      host: req.headers.host ?? '',
      ...(forwardedHost === undefined ? {} : { forwardedHost }),
    });
    if (response.status === 403)
      this.#options.log.warn(`Request from unauthorized domain: ${forwardedHost ?? req.headers.host ?? ''}`);
    res.writeHead(response.status, response.headers);
    res.end(response.body);
  }

  async #waitForTlsFiles(signal: AbortSignal): Promise<{ cert: Buffer; key: Buffer } | undefined> {
    const { tlsCertFile, tlsKeyFile, log } = this.#options;
    if (tlsCertFile === undefined || tlsKeyFile === undefined) return undefined;
    for (;;) {
      try {
        await Promise.all([access(tlsCertFile), access(tlsKeyFile)]);
        break;
      } catch {
        log.warn(`Waiting for TLS certificate and key files to be available: ${tlsCertFile}, ${tlsKeyFile}`);
        await abortableDelay(TLS_FILE_POLL_MS, signal);
        if (signal.aborted) return undefined;
      }
    }
    const [cert, key] = await Promise.all([readFile(tlsCertFile), readFile(tlsKeyFile)]);
    log.info(`Loaded TLS certificate from ${tlsCertFile} and key from ${tlsKeyFile}`);
    return { cert, key };
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log, health, allowedHosts } = this.#options;
    const handler = this.#respond.bind(this);
    const files = await this.#waitForTlsFiles(signal);
    if (signal.aborted) return;
    const server: Server =
      files === undefined
        ? createHttpServer(handler)
        : createHttpsServer({ ...files, minVersion: 'TLSv1.2' }, handler);
    applyServerTimeouts(server);
    server.maxConnections = MAX_CONNECTIONS;
    log.info(
      allowedHosts.length > 0
        ? `OIDC server will only accept requests for hosts: ${allowedHosts.join(', ')}`
        : 'OIDC server will accept requests for any host',
    );
    try {
      await serveUntilAborted(
        {
          server,
          port: this.#options.port,
          host: this.#options.listenAddress,
          onListening: (address) => {
            log.info(
              `Starting OIDC HTTP server${this.#tls ? '' : ' (insecure)'} on ${formatAddress(address)}`,
            );
            health?.ready();
            this.#options.onListening?.(address.port);
          },
        },
        signal,
      );
    } finally {
      health?.notReady();
      log.info('OIDC HTTP server stopped');
    }
  }
}
