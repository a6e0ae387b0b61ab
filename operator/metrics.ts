// The operator's Prometheus series (docs/contracts/observability.md §2): counters of the `<app-id>-dapr`
// Services the reconciler manages, one function per event. They move only on the elected
// leader. `service_deleted` is declared like upstream's but nothing records it, so it never
// appears in the output.
import type { MetricsRegistry } from '../kit/metrics.js';

export interface OperatorMetrics {
  /** The reconciler created `<appId>-dapr`. */
  serviceCreated(appId: string): void;
  /**
   * The reconciler updated an existing `<appId>-dapr` that differed from the desired Service
   * (upstream PUTs, and counts, on every reconcile; ours writes only real changes).
   */
  serviceUpdated(appId: string): void;
  /** Upstream never records this; kept for parity of the declaration. */
  serviceDeleted(appId: string): void;
}

export function operatorMetrics(registry: MetricsRegistry): OperatorMetrics {
  const created = registry.counter({
    name: 'dapr_operator_service_created_total',
    help: 'The total number of dapr services created.',
    labels: ['app_id'],
  });
  const updated = registry.counter({
    name: 'dapr_operator_service_updated_total',
    help: 'The total number of dapr services updated.',
    labels: ['app_id'],
  });
  const deleted = registry.counter({
    name: 'dapr_operator_service_deleted_total',
    help: 'The total number of dapr services deleted.',
    labels: ['app_id'],
  });
  return {
    serviceCreated: (appId): void => created.inc({ app_id: appId }),
    serviceUpdated: (appId): void => updated.inc({ app_id: appId }),
    serviceDeleted: (appId): void => deleted.inc({ app_id: appId }),
  };
}
