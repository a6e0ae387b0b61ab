// The workload kinds the Service reconciler handles (docs/contracts/operator.md §4) and how a watched object is
// reduced on arrival. Non-Dapr workloads keep nothing but the fact that they are not Dapr
// workloads, so memory does not grow with them; Dapr ones keep only identity, selector and the
// handful of template annotations the desired Service depends on.
import { isDaprEnabled, RELEVANT_ANNOTATIONS, type DaprWorkload } from './desired-service.js';

export interface WorkloadKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
}

export const DEPLOYMENT: WorkloadKind = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
};
export const STATEFUL_SET: WorkloadKind = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
};
export const ROLLOUT: WorkloadKind = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  kind: 'Rollout',
  plural: 'rollouts',
};

export function apiVersionOf(kind: WorkloadKind): string {
  return `${kind.group}/${kind.version}`;
}

/** The collection path, cluster-wide or in one namespace (--watch-namespace). */
export function collectionPath(kind: WorkloadKind, namespace: string): string {
  const ns = namespace === '' ? '' : `/namespaces/${namespace}`;
  return `/apis/${kind.group}/${kind.version}${ns}/${kind.plural}`;
}

/** `Kind/namespace/name`: the queue key of a workload. */
export function workloadKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** A watched workload after reduction: `workload` only when it wants a Service now. */
export interface WorkloadState {
  readonly key: string;
  readonly workload?: DaprWorkload;
}

interface RawWorkload {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly deletionTimestamp?: string;
  };
  readonly spec?: {
    readonly selector?: { readonly matchLabels?: Record<string, string> };
    readonly template?: { readonly metadata?: { readonly annotations?: Record<string, string> } };
  };
}

function daprWorkload(
  apiVersion: string,
  kind: string,
  obj: RawWorkload,
  template: Readonly<Record<string, string>>,
): DaprWorkload {
  const annotations: Record<string, string> = {};
  for (const name of RELEVANT_ANNOTATIONS) {
    const value = template[name];
    if (typeof value === 'string') annotations[name] = value;
  }
  return {
    apiVersion,
    kind,
    namespace: obj.metadata?.namespace ?? '',
    name: obj.metadata?.name ?? '',
    uid: obj.metadata?.uid ?? '',
    matchLabels: { ...(obj.spec?.selector?.matchLabels ?? {}) },
    annotations,
  };
}

/** The reduction applied to every listed or watched object of `kind`. */
export function reduceWorkload(kind: WorkloadKind): (raw: unknown) => WorkloadState | undefined {
  const apiVersion = apiVersionOf(kind);
  return (raw) => {
    const obj = raw as RawWorkload | null;
    const name = obj?.metadata?.name;
    const namespace = obj?.metadata?.namespace;
    if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
    const key = workloadKey(kind.kind, namespace, name);
    const template = obj!.spec?.template?.metadata?.annotations;
    // Being deleted: upstream leaves it alone; garbage collection removes the Service.
    if (!isDaprEnabled(template) || obj!.metadata!.deletionTimestamp != null) return { key };
    return { key, workload: daprWorkload(apiVersion, kind.kind, obj!, template ?? {}) };
  };
}
