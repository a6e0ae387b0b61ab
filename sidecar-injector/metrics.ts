// The injector's Prometheus series (observability.md §2, the "Sidecar Injector" row of Dapr's
// dashboard), one function per event.
import type { MetricsRegistry } from '../kit/metrics.js';

/** Why an injection counted as failed (upstream's `reason` values). */
export type InjectionFailureReason = 'pod_patch' | 'patch' | 'response' | 'write_response';

export interface InjectorMetrics {
  /** First thing on every webhook request, whatever it turns out to be. */
  injectionRequest(): void;
  /** The response carries a non-empty patch. */
  injectionSucceeded(appId: string): void;
  injectionFailed(appId: string, reason: InjectionFailureReason): void;
}

export function injectorMetrics(registry: MetricsRegistry): InjectorMetrics {
  const requests = registry.counter({
    name: 'dapr_injector_sidecar_injection_requests_total',
    help: 'The total number of sidecar injection requests.',
  });
  const succeeded = registry.counter({
    name: 'dapr_injector_sidecar_injection_succeeded_total',
    help: 'The total number of successful sidecar injections.',
    labels: ['app_id'],
  });
  const failed = registry.counter({
    name: 'dapr_injector_sidecar_injection_failed_total',
    help: 'The total number of failed sidecar injections.',
    labels: ['app_id', 'reason'],
  });
  return {
    injectionRequest: (): void => requests.inc(),
    injectionSucceeded: (appId): void => succeeded.inc({ app_id: appId }),
    injectionFailed: (appId, reason): void => failed.inc({ app_id: appId, reason }),
  };
}
