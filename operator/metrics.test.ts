// docs/contracts/observability.md §2: the operator's series.
import { describe, expect, it } from '@jest/globals';
import { MetricsRegistry } from '../kit/metrics.js';
import { operatorMetrics } from './metrics.js';

describe('operator metrics', () => {
  it('counts created and updated Services per app id, and never shows the deleted counter unrecorded', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    const metrics = operatorMetrics(registry);
    expect(await registry.scrape()).not.toContain('dapr_operator');
    metrics.serviceCreated('myapp');
    metrics.serviceUpdated('myapp');
    metrics.serviceUpdated('myapp');
    const text = await registry.scrape();
    expect(text).toContain('# TYPE dapr_operator_service_created_total counter\n');
    expect(text).toContain('dapr_operator_service_created_total{app_id="myapp"} 1\n');
    expect(text).toContain(
      '# HELP dapr_operator_service_updated_total The total number of dapr services updated.\n',
    );
    expect(text).toContain('dapr_operator_service_updated_total{app_id="myapp"} 2\n');
    expect(text).not.toContain('dapr_operator_service_deleted_total');
  });
});
