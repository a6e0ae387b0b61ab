// The injector's Prometheus series (docs/contracts/observability.md §2, the "Sidecar Injector" row of Dapr's
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

/**
 * Distinct app_id label values kept (docs/injector.md, Limits). The app id comes from the
 * AdmissionReview, which anyone who reaches /mutate can write: without a bound each made-up id
 * would add a series to memory and to every scrape. A cluster with more Dapr apps than this
 * counts the rest under OTHER_APP_ID.
 */
export const MAX_APP_ID_LABELS = 1000;
/** The longest app id used as a label: a Kubernetes object name's limit. */
export const MAX_APP_ID_LABEL_LENGTH = 253;
export const OTHER_APP_ID = '_other';

/** The app_id label for an id: itself while there is room, OTHER_APP_ID after. */
function appIdLabels(): (appId: string) => string {
  const seen = new Set<string>();
  return (appId) => {
    if (seen.has(appId)) return appId;
    if (appId.length > MAX_APP_ID_LABEL_LENGTH || seen.size >= MAX_APP_ID_LABELS) return OTHER_APP_ID;
    seen.add(appId);
    return appId;
  };
}

export function injectorMetrics(registry: MetricsRegistry): InjectorMetrics {
  const label = appIdLabels();
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
    injectionSucceeded: (appId): void => succeeded.inc({ app_id: label(appId) }),
    injectionFailed: (appId, reason): void => failed.inc({ app_id: label(appId), reason }),
  };
}
