// The webhook's TLS listener (docs/contracts/injector-and-chart.md §1.2): Node's https server directly (no
// framework: the hot path is one JSON parse, one patch and one write), on :<port> of every
// interface as upstream (which ignores --listen-address). Client certificates are not asked
// for. The serving certificate is swapped in place when the SVID renews, so open connections
// and the port survive a rotation.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { HealthTarget } from '../../kit/health-targets.js';
import { applyServerTimeouts, formatAddress, serveUntilAborted } from '../../kit/http-serve.js';
import type { Logger } from '../../kit/logger.js';
import type { AddressInfo } from 'node:net';

export interface ServingCertificate {
  /** PEM: the leaf, then its issuers. */
  readonly certChainPem: Buffer;
  readonly privateKeyPem: Buffer;
}

export interface WebhookServerOptions {
  readonly port: number;
  /** Undefined: all interfaces (upstream). Tests and benchmarks may pin loopback. */
  readonly host?: string;
  readonly handler: (
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ) => void;
  readonly log: Logger;
  /** `injector-service`: ready while listening. */
  readonly health?: HealthTarget;
  readonly onListening?: (address: AddressInfo) => void;
}

export class WebhookServer {
  readonly #options: WebhookServerOptions;
  #server: Server | undefined;

  constructor(options: WebhookServerOptions) {
    this.#options = options;
  }

  /** Installs a renewed certificate; new handshakes use it at once. */
  updateCertificate(cert: ServingCertificate): void {
    this.#server?.setSecureContext({ cert: cert.certChainPem, key: cert.privateKeyPem });
  }

  /** Serves with `first` until the signal aborts. */
  async run(first: ServingCertificate, signal: AbortSignal): Promise<void> {
    const o = this.#options;
    const server = createServer(
      { cert: first.certChainPem, key: first.privateKeyPem, minVersion: 'TLSv1.2' },
      o.handler,
    );
    // The apiserver keeps connections alive between calls; keep them longer than its idle timer.
    server.keepAliveTimeout = 90_000;
    applyServerTimeouts(server);
    this.#server = server;
    try {
      await serveUntilAborted(
        {
          server: server,
          port: o.port,
          host: o.host,
          onListening: (address) => {
            o.log.info(
              `Sidecar injector is listening on ${formatAddress(address)}, patching Dapr-enabled pods`,
            );
            o.health?.ready();
            o.onListening?.(address);
          },
        },
        signal,
      );
    } finally {
      o.health?.notReady();
      this.#server = undefined;
    }
  }
}
