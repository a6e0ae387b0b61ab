// docs/contracts/observability.md §2: placement's series, names, types and labels.
import { describe, expect, it } from '@jest/globals';
import { MetricsRegistry } from '../kit/metrics.js';
import { placementMetrics } from './metrics.js';

describe('placement metrics', () => {
  it('shows both leader gauges at 0 from the start, and the runtime gauges only once set', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    placementMetrics(registry);
    const text = await registry.scrape();
    expect(text).toContain('# TYPE dapr_placement_leader_status gauge\ndapr_placement_leader_status 0\n');
    expect(text).toContain(
      '# TYPE dapr_placement_raft_leader_status gauge\ndapr_placement_raft_leader_status 0\n',
    );
    expect(text).not.toContain('runtimes_total');
  });

  it('records runtimes per host namespace as gauges, and leadership on both gauges', async () => {
    const registry = new MetricsRegistry({ processMetrics: false });
    const metrics = placementMetrics(registry);
    metrics.runtimesTotal('default', 3);
    metrics.actorRuntimesTotal('default', 2);
    metrics.runtimesTotal('default', 0);
    metrics.leaderStatus(true);
    const text = await registry.scrape();
    expect(text).toContain('# TYPE dapr_placement_runtimes_total gauge\n');
    expect(text).toContain('dapr_placement_runtimes_total{host_namespace="default"} 0\n');
    expect(text).toContain(
      '# HELP dapr_placement_actor_runtimes_total The total number of actor runtimes reported to placement service.\n',
    );
    expect(text).toContain('dapr_placement_actor_runtimes_total{host_namespace="default"} 2\n');
    expect(text).toContain('dapr_placement_leader_status 1\n');
    expect(text).toContain('dapr_placement_raft_leader_status 1\n');
  });
});
