// Placement's Prometheus series (docs/contracts/observability.md §2), one function per event. All are gauges
// (upstream's LastValue views), even those named `_total`. The leader gauges exist from startup
// with 0, since Dapr's own tests find the leader by reading them on every replica.
import type { MetricsRegistry } from '../kit/metrics.js';

export interface PlacementMetrics {
  /** Open ReportDaprStatus streams in a namespace (0 when it empties). */
  runtimesTotal(hostNamespace: string, count: number): void;
  /** Streams in a namespace whose first report listed at least one actor type. */
  actorRuntimesTotal(hostNamespace: string, count: number): void;
  /** Leadership won (true) or not held (false); sets both leader gauges, equal in 1.18. */
  leaderStatus(isLeader: boolean): void;
}

export function placementMetrics(registry: MetricsRegistry): PlacementMetrics {
  const runtimes = registry.gauge({
    name: 'dapr_placement_runtimes_total',
    help: 'The total number of runtimes reported to placement service.',
    labels: ['host_namespace'],
  });
  const actorRuntimes = registry.gauge({
    name: 'dapr_placement_actor_runtimes_total',
    help: 'The total number of actor runtimes reported to placement service.',
    labels: ['host_namespace'],
  });
  const leader = registry.gauge({
    name: 'dapr_placement_leader_status',
    help: 'Placement server leadership status (1 for leader, 0 for not leader).',
    initialValue: 0,
  });
  const raftLeader = registry.gauge({
    name: 'dapr_placement_raft_leader_status',
    help: 'Raft server leadership status (1 for leader, 0 for not leader).',
    initialValue: 0,
  });
  return {
    runtimesTotal: (hostNamespace, count): void => runtimes.set(count, { host_namespace: hostNamespace }),
    actorRuntimesTotal: (hostNamespace, count): void =>
      actorRuntimes.set(count, { host_namespace: hostNamespace }),
    leaderStatus: (isLeader): void => {
      leader.set(isLeader ? 1 : 0);
      raftLeader.set(isLeader ? 1 : 0);
    },
  };
}
