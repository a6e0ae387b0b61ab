// docs/contracts/observability.md §2: the injector's series.
import { describe, expect, it } from '@jest/globals';
import { MetricsRegistry } from '../kit/metrics.js';
import { injectorMetrics, MAX_APP_ID_LABEL_LENGTH, MAX_APP_ID_LABELS, OTHER_APP_ID } from './metrics.js';

describe('injector metrics', () => {
  it('records requests, successes and failures under the upstream names and labels', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    const metrics = injectorMetrics(registry);
    expect(await registry.scrape()).not.toContain('dapr_injector');
    metrics.injectionRequest();
    metrics.injectionSucceeded('myapp');
    metrics.injectionFailed('', 'pod_patch');
    const text = await registry.scrape();
    expect(text).toContain('# TYPE dapr_injector_sidecar_injection_requests_total counter\n');
    expect(text).toContain('dapr_injector_sidecar_injection_requests_total 1\n');
    expect(text).toContain('dapr_injector_sidecar_injection_succeeded_total{app_id="myapp"} 1\n');
    expect(text).toContain('dapr_injector_sidecar_injection_failed_total{app_id="",reason="pod_patch"} 1\n');
  });

  it('bounds the app_id label: made-up ids past the limit share one series (issue 15)', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    const metrics = injectorMetrics(registry);
    for (let i = 0; i < MAX_APP_ID_LABELS + 500; i++) metrics.injectionSucceeded(`app${i}`);
    metrics.injectionSucceeded('app0'); // a known id keeps its own series
    metrics.injectionFailed('x'.repeat(MAX_APP_ID_LABEL_LENGTH + 1), 'patch');
    const text = await registry.scrape();
    const series = text
      .split('\n')
      .filter((l) => l.startsWith('dapr_injector_sidecar_injection_succeeded_total{'));
    expect(series).toHaveLength(MAX_APP_ID_LABELS + 1);
    expect(text).toContain('dapr_injector_sidecar_injection_succeeded_total{app_id="app0"} 2\n');
    expect(text).toContain(`dapr_injector_sidecar_injection_succeeded_total{app_id="${OTHER_APP_ID}"} 500\n`);
    expect(text).toContain(
      `dapr_injector_sidecar_injection_failed_total{app_id="${OTHER_APP_ID}",reason="patch"} 1\n`,
    );
  });
});
