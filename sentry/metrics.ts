// Sentry's Prometheus series (docs/contracts/observability.md §2, the "CA Sentry" row of Dapr's dashboard), one
// function per event. Each series appears on its first recording, as upstream's views do.
import type { MetricsRegistry } from '../kit/metrics.js';

export interface SentryMetrics {
  /** On entry to every SignCertificate call, before any validation. */
  certSignRequestReceived(): void;
  /** When SignCertificate returns a certificate. */
  certSignSucceeded(): void;
  /** On any SignCertificate error; upstream always reports reason `sign`. */
  certSignFailed(reason: string): void;
  /** Sentry failed to issue its own serving certificate; upstream records no reason. */
  serverCertIssueFailed(): void;
  /** Issuer credentials generated, stored, or changed on disk. */
  issuerCertChanged(): void;
  /** At each CA load: the issuer certificate's NotAfter. */
  issuerCertExpiry(notAfter: Date): void;
}

export function sentryMetrics(registry: MetricsRegistry): SentryMetrics {
  const received = registry.counter({
    name: 'dapr_sentry_cert_sign_request_received_total',
    help: 'The number of CSRs received.',
  });
  const succeeded = registry.counter({
    name: 'dapr_sentry_cert_sign_success_total',
    help: 'The number of certificates issuances that have succeeded.',
  });
  const failed = registry.counter({
    name: 'dapr_sentry_cert_sign_failure_total',
    help: 'The number of errors occurred when signing the CSR.',
    labels: ['reason'],
  });
  const serverCertFailed = registry.counter({
    name: 'dapr_sentry_servercert_issue_failed_total',
    help: 'The number of server TLS certificate issuance failures.',
    labels: ['reason'],
  });
  const issuerChanged = registry.counter({
    name: 'dapr_sentry_issuercert_changed_total',
    help: 'The number of issuer cert updates, when issuer cert or key is changed',
  });
  const issuerExpiry = registry.gauge({
    name: 'dapr_sentry_issuercert_expiry_timestamp',
    help: 'The unix timestamp, in seconds, when issuer/root cert will expire.',
  });
  return {
    certSignRequestReceived: (): void => received.inc(),
    certSignSucceeded: (): void => succeeded.inc(),
    certSignFailed: (reason): void => failed.inc({ reason }),
    serverCertIssueFailed: (): void => serverCertFailed.inc({ reason: '' }),
    issuerCertChanged: (): void => issuerChanged.inc(),
    issuerCertExpiry: (notAfter): void => issuerExpiry.set(Math.floor(notAfter.getTime() / 1000)),
  };
}
