// The `<app-id>-dapr` Service a Dapr-enabled workload gets (docs/contracts/operator.md §4, "Desired Service"):
// pure functions from the workload's pod-template annotations, selector and identity to the
// exact object upstream writes. Nothing here talks to the apiserver.
import { isTruthy } from '../../kit/go-values.js';
import { DAPR_ANNOTATIONS } from '../../kit/dapr/annotations.js';
import { DAPRD_PORTS } from '../../kit/dapr/daprd.js';
import { daprServiceName, DNS1123_LABEL_MAX_LENGTH, isDns1123Label } from '../../kit/dapr/app-id.js';

/** The annotations the reconciler reads; everything else on the template is dropped on arrival. */
export const RELEVANT_ANNOTATIONS: readonly string[] = [
  DAPR_ANNOTATIONS.enabled,
  DAPR_ANNOTATIONS.appId,
  DAPR_ANNOTATIONS.enableMetrics,
  DAPR_ANNOTATIONS.metricsPort,
  DAPR_ANNOTATIONS.grpcPort,
  DAPR_ANNOTATIONS.internalGrpcPort,
  DAPR_ANNOTATIONS.sidecarSvcAnnotations,
];

/** The label that marks the Services the operator owns: upstream gives it the annotation's key. */
export const DAPR_SERVICE_LABEL = DAPR_ANNOTATIONS.enabled;
export const DAPR_HTTP_PORT = 80;

/** What the reconciler keeps of a Deployment, StatefulSet or Rollout. */
export interface DaprWorkload {
  /** `apps/v1` or `argoproj.io/v1alpha1`. */
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** spec.selector.matchLabels (matchExpressions are ignored, as upstream does). */
  readonly matchLabels: Readonly<Record<string, string>>;
  /** Only the RELEVANT_ANNOTATIONS of spec.template.metadata.annotations. */
  readonly annotations: Readonly<Record<string, string>>;
}

export interface ServicePort {
  readonly name: string;
  readonly protocol: 'TCP';
  readonly port: number;
  readonly targetPort: number;
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller: true;
  readonly blockOwnerDeletion: true;
}

export interface DesiredService {
  readonly apiVersion: 'v1';
  readonly kind: 'Service';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly ownerReferences: readonly OwnerReference[];
  };
  readonly spec: {
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly ServicePort[];
    readonly clusterIP: 'None';
  };
}

/** The trigger: the pod template's `dapr.io/enabled` is truthy (the workload's own is ignored). */
export function isDaprEnabled(templateAnnotations: Readonly<Record<string, string>> | undefined): boolean {
  return isTruthy(templateAnnotations?.[DAPR_ANNOTATIONS.enabled]);
}

/** The Service name, or why the app id cannot give one (there is no fallback to a name). */
export function serviceNameFor(appId: string | undefined): { name: string } | { error: string } {
  if (appId === undefined || appId === '') return { error: `${DAPR_ANNOTATIONS.appId} annotation is empty` };
  const name = daprServiceName(appId);
  if (!isDns1123Label(name)) {
    return {
      error: `invalid app id ${JSON.stringify(appId)}: ${JSON.stringify(name)} must be a DNS-1123 label (at most ${DNS1123_LABEL_MAX_LENGTH} characters of [a-z0-9-], starting and ending with an alphanumeric character)`,
    };
  }
  return { name };
}

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** A base-10 int32 annotation, or the default when absent, empty or invalid. */
export function int32Annotation(value: string | undefined, fallback: number): number {
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return fallback;
  const n = Number(value);
  return n < INT32_MIN || n > INT32_MAX ? fallback : n;
}

/** Metrics are on unless the annotation has a non-empty value that is not truthy. */
export function metricsEnabled(annotations: Readonly<Record<string, string>>): boolean {
  const value = annotations[DAPR_ANNOTATIONS.enableMetrics];
  return value === undefined || value === '' ? true : isTruthy(value);
}

/**
 * `key=value,key2=value2`, as upstream reads it: each pair is trimmed and cut at its first `=`;
 * pairs without `=` or with nothing before it are skipped; key and value are trimmed.
 */
export function parseExtraAnnotations(text: string | undefined): [string, string][] {
  if (text === undefined || text === '') return [];
  const pairs: [string, string][] = [];
  for (const item of text.split(',')) {
    const pair = item.trim();
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    pairs.push([pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()]);
  }
  return pairs;
}

export interface DesiredServiceResult {
  readonly service: DesiredService;
  /** Extra annotation keys that were ignored because the operator sets them itself. */
  readonly ignoredKeys: readonly string[];
}

/** The Service for a workload; an error string when its app id is missing or invalid. */
export function desiredService(workload: DaprWorkload): DesiredServiceResult | { error: string } {
  const a = workload.annotations;
  const appId = a[DAPR_ANNOTATIONS.appId];
  const named = serviceNameFor(appId);
  if ('error' in named) return named;

  const metricsPort = int32Annotation(a[DAPR_ANNOTATIONS.metricsPort], DAPRD_PORTS.metrics);
  const grpcPort = int32Annotation(a[DAPR_ANNOTATIONS.grpcPort], DAPRD_PORTS.grpc);
  const internalPort = int32Annotation(a[DAPR_ANNOTATIONS.internalGrpcPort], DAPRD_PORTS.internalGrpc);

  const annotations: Record<string, string> = { [DAPR_ANNOTATIONS.appId]: appId! };
  if (metricsEnabled(a)) {
    annotations['prometheus.io/probe'] = 'true';
    annotations['prometheus.io/scrape'] = 'true';
    annotations['prometheus.io/port'] = String(metricsPort);
    annotations['prometheus.io/path'] = '/';
  }
  const ignoredKeys: string[] = [];
  for (const [key, value] of parseExtraAnnotations(a[DAPR_ANNOTATIONS.sidecarSvcAnnotations])) {
    // A key that is already set is ignored: the operator's own keys win, and so does the
    // first of two extras with the same key.
    if (Object.hasOwn(annotations, key)) ignoredKeys.push(key);
    else annotations[key] = value;
  }

  return {
    ignoredKeys,
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: named.name,
        namespace: workload.namespace,
        labels: { [DAPR_SERVICE_LABEL]: 'true' },
        annotations,
        ownerReferences: [
          {
            apiVersion: workload.apiVersion,
            kind: workload.kind,
            name: workload.name,
            uid: workload.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        selector: { ...workload.matchLabels },
        ports: [
          { name: 'dapr-http', protocol: 'TCP', port: DAPR_HTTP_PORT, targetPort: DAPRD_PORTS.http },
          { name: 'dapr-grpc', protocol: 'TCP', port: grpcPort, targetPort: grpcPort },
          { name: 'dapr-internal', protocol: 'TCP', port: internalPort, targetPort: internalPort },
          { name: 'dapr-metrics', protocol: 'TCP', port: metricsPort, targetPort: metricsPort },
        ],
        clusterIP: 'None',
      },
    },
  };
}
