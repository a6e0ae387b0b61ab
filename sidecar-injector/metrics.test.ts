// observability.md §2: the injector's series.
import { describe, expect, it } from '@jest/globals';
import { MetricsRegistry } from '../kit/metrics.js';
import { injectorMetrics } from './metrics.js';

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
});
