// Which cause of an uncalled injector webhook is likely for one pod without daprd (docs/operator.md,
// "When daprd is missing"), decided from the pod's creation time and the sidecar injector's pods as
// the operator reads them now: none Ready (the API server could not call the webhook), Ready only
// since after the pod was created (the pod came first), or Ready since before it (the webhook was
// not reached, or its selectors left the pod out). Pure: the reading is injector-readiness.ts.

/**
 * The injector's pods: its own Deployment's, or in the chart's all-in-one mode
 * (global.allInOne.enabled) the one StatefulSet whose pods run all four control-plane services.
 */
export const INJECTOR_POD_SELECTOR = 'app in (dapr-sidecar-injector,dapr-control-plane)';

/** The sidecar injector's pods in the control-plane namespace, as last read. */
export type InjectorReadiness =
  /** The read failed or a Ready pod says not since when. */
  | { readonly state: 'unknown' }
  | { readonly state: 'none-ready'; readonly namespace: string }
  /** `since`: the earliest time (ms) one of the pods Ready now became Ready. */
  | { readonly state: 'ready'; readonly since: number };

interface RawCondition {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly lastTransitionTime?: unknown;
}

interface RawInjectorPod {
  readonly metadata?: { readonly deletionTimestamp?: unknown };
  readonly status?: { readonly conditions?: unknown };
}

/** A Kubernetes timestamp (RFC 3339) in ms, or undefined. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The Ready condition's transition time (ms) of a Ready pod; null when not Ready; undefined when Ready but unknown since when. */
function readySince(pod: RawInjectorPod): number | null | undefined {
  // A pod being deleted leaves the Service's endpoints, whatever its condition says.
  if (pod?.metadata?.deletionTimestamp != null) return null;
  const conditions = pod?.status?.conditions;
  if (!Array.isArray(conditions)) return null;
  const ready = (conditions as RawCondition[]).find((c) => c?.type === 'Ready');
  if (ready?.status !== 'True') return null;
  return parseTime(ready.lastTransitionTime);
}

/** Reduces a pod list of INJECTOR_POD_SELECTOR in `namespace`; a partial list (more pages) says little. */
export function injectorReadiness(list: unknown, namespace: string): InjectorReadiness {
  const body = list as { items?: unknown; metadata?: { continue?: unknown } } | null;
  const items = body?.items;
  const partial = typeof body?.metadata?.continue === 'string' && body.metadata.continue !== '';
  if (!Array.isArray(items) || partial) return { state: 'unknown' };
  let since: number | undefined;
  for (const pod of items as RawInjectorPod[]) {
    const t = readySince(pod);
    if (t === null) continue;
    if (t === undefined) return { state: 'unknown' };
    since = since === undefined ? t : Math.min(since, t);
  }
  return since === undefined ? { state: 'none-ready', namespace } : { state: 'ready', since };
}

export type MissingSidecarCause =
  /** Injector state or pod creation time unknown: both causes are named. */
  | { readonly kind: 'unknown' }
  | { readonly kind: 'injector-not-ready'; readonly namespace: string }
  | { readonly kind: 'created-before-ready'; readonly createdAt: number; readonly readySince: number }
  | { readonly kind: 'not-called-while-ready'; readonly createdAt: number; readonly readySince: number };

/**
 * The likely cause for a pod created at `createdAt` (ms). Timestamps have whole seconds, so a pod
 * created in the second the injector became Ready counts as created before it: the injector's
 * Service needs longer than that to route to a pod that just became Ready.
 */
export function likelyCause(createdAt: number | undefined, injector: InjectorReadiness): MissingSidecarCause {
  if (injector.state === 'none-ready') return { kind: 'injector-not-ready', namespace: injector.namespace };
  if (injector.state === 'unknown' || createdAt === undefined) return { kind: 'unknown' };
  return createdAt <= injector.since
    ? { kind: 'created-before-ready', createdAt, readySince: injector.since }
    : { kind: 'not-called-while-ready', createdAt, readySince: injector.since };
}
