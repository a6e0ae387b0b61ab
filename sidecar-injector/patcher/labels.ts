// The labels the injector writes (docs/contracts/injector-and-chart.md §1.5 rows 6–8).
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import type { PatchOperation } from './k8s-types.js';

export const SIDECAR_INJECTED_LABEL = 'dapr.io/sidecar-injected';
export const APP_ID_LABEL = 'dapr.io/app-id';
export const METRICS_ENABLED_LABEL = 'dapr.io/metrics-enabled';

/** RFC 6901 escaping of one path segment. */
export function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

export function labelOps(c: SidecarConfig): PatchOperation[] {
  const labels: [string, string][] = [
    [SIDECAR_INJECTED_LABEL, 'true'],
    [APP_ID_LABEL, c.appId],
    [METRICS_ENABLED_LABEL, String(c.annotations.enableMetrics)],
  ];
  return labels.map(([key, value]) => ({
    op: 'add',
    path: `/metadata/labels/${pointerSegment(key)}`,
    value,
  }));
}
