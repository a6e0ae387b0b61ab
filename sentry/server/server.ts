// The gRPC edge: dapr.proto.sentry.v1.CA/SignCertificate over TLS (ALPN h2, no client
// certificate), served with sentry's own SPIFFE certificate. It counts requests, turns failures
// into statuses through toStatus, and stops gracefully: not ready first, then drain, then force.
import { experimental, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import type { HealthTarget } from '../../kit/health-targets.js';
import type { Logger } from '../../kit/logger.js';
import { orAborted, untilAborted } from '../../kit/runner.js';
import type { SentryMetrics } from '../metrics.js';
import {
  CA_SERVICE,
  type SignCertificateRequest,
  type SignCertificateResponse,
} from '../../kit/proto/sentry.js';
import type { ServingIdentity } from './serving-cert.js';
import { toStatus } from './status.js';
import {
  bindGrpcServer,
  controlPlaneGrpcServer,
  grpcBindAddress,
  shutdownGrpcServer,
} from '../../kit/grpc-serve.js';

export interface SentryServerOptions {
  /** --port (0 picks a free port, for tests). */
  readonly port: number;
  /** --listen-address; empty means every interface. */
  readonly listenAddress: string;
  readonly sign: (request: SignCertificateRequest) => Promise<SignCertificateResponse>;
  /** Sentry's serving certificate, hot-swapped on renewal; serving starts once it exists. */
  readonly identity: ServingIdentity;
  readonly metrics?: SentryMetrics;
  readonly log?: Logger;
  /** `sentry-server`. */
  readonly health?: HealthTarget;
  /** Told the bound port once listening. */
  readonly onListening?: (port: number) => void;
  /** How long in-flight calls may take to finish at shutdown. */
  readonly shutdownGraceMs?: number;
}

export class SentryServer {
  readonly #options: SentryServerOptions;

  constructor(options: SentryServerOptions) {
    this.#options = options;
  }

  #handle(
    call: ServerUnaryCall<SignCertificateRequest, SignCertificateResponse>,
    done: sendUnaryData<SignCertificateResponse>,
  ): void {
    const { metrics, log, sign } = this.#options;
    const request = call.request;
    metrics?.certSignRequestReceived();
    sign(request).then(
      (response) => {
        metrics?.certSignSucceeded();
        log?.debug({ namespace: request.namespace, id: request.id }, 'Signed certificate');
        done(null, response);
      },
      (err: unknown) => {
        const status = toStatus(err);
        metrics?.certSignFailed(status.reason);
        const fields = { namespace: request.namespace, id: request.id, error: err };
        if (status.expected) log?.debug(fields, 'SignCertificate rejected');
        else log?.error(fields, 'SignCertificate failed');
        done({ code: status.code, details: status.details });
      },
    );
  }

  async run(signal: AbortSignal): Promise<void> {
    const { port, listenAddress, identity, log, health } = this.#options;
    await orAborted(identity.whenReady(), signal);
    if (signal.aborted) return;
    const server = controlPlaneGrpcServer();
    server.addService(CA_SERVICE, { SignCertificate: this.#handle.bind(this) });
    // The identity provider goes first: grpc-js passes its first argument on as the identity
    // source (see the server test, which pins this). No CA provider: no client certificates.
    const credentials = experimental.createCertificateProviderServerCredentials(identity, null, false);
    const bound = await bindGrpcServer(server, grpcBindAddress(listenAddress, port), credentials);
    log?.info(`Running gRPC server on port ${bound}`);
    health?.ready();
    this.#options.onListening?.(bound);

    await untilAborted(signal);
    health?.notReady();
    await shutdownGrpcServer(server, this.#options.shutdownGraceMs);
    log?.info('gRPC server stopped');
  }
}
