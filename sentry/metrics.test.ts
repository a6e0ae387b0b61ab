// docs/contracts/observability.md §2: sentry's series, names, types and labels.
import { describe, expect, it } from '@jest/globals';
import { MetricsRegistry } from '../kit/metrics.js';
import { sentryMetrics } from './metrics.js';

describe('sentry metrics', () => {
  it('shows nothing before the first recording', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    sentryMetrics(registry);
    expect(await registry.scrape()).not.toContain('dapr_sentry');
  });

  it('records each event under its upstream name, type and labels', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    const metrics = sentryMetrics(registry);
    metrics.certSignRequestReceived();
    metrics.certSignRequestReceived();
    metrics.certSignSucceeded();
    metrics.certSignFailed('sign');
    metrics.serverCertIssueFailed();
    metrics.issuerCertChanged();
    metrics.issuerCertExpiry(new Date('2027-08-14T20:54:21.900Z'));
    const text = await registry.scrape();
    expect(text).toContain(
      '# HELP dapr_sentry_cert_sign_request_received_total The number of CSRs received.\n',
    );
    expect(text).toContain('# TYPE dapr_sentry_cert_sign_request_received_total counter\n');
    expect(text).toContain('dapr_sentry_cert_sign_request_received_total 2\n');
    expect(text).toContain('dapr_sentry_cert_sign_success_total 1\n');
    expect(text).toContain('dapr_sentry_cert_sign_failure_total{reason="sign"} 1\n');
    expect(text).toContain('dapr_sentry_servercert_issue_failed_total{reason=""} 1\n');
    expect(text).toContain('dapr_sentry_issuercert_changed_total 1\n');
    expect(text).toContain('# TYPE dapr_sentry_issuercert_expiry_timestamp gauge\n');
    expect(text).toContain('dapr_sentry_issuercert_expiry_timestamp 1818276861\n');
  });
});
