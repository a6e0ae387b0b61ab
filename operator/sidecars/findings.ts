// What the operator reads from pods and workloads to tell why daprd is missing (docs/operator.md,
// "When daprd is missing"), reduced on arrival so that memory grows only with the findings: a pod
// that asks for Dapr (dapr.io/enabled truthy) and is alive but has no daprd container, and a
// Deployment, StatefulSet or DaemonSet whose own metadata carries dapr.io/enabled while its pod
// template does not (the injector reads only the pod's annotations).
import { isTruthy } from '../../kit/go-values.js';
import { DAPR_ANNOTATIONS } from '../../kit/dapr/annotations.js';
import type { InvolvedObject } from '../../kit/kubernetes/events.js';
import { podEventTarget, type OwnedMetadata } from '../../kit/kubernetes/owner.js';
import { INJECTOR_POD_SELECTOR, parseTime, type MissingSidecarCause } from './cause.js';

/** The container the injector adds (docs/contracts/injector-and-chart.md §3). */
export const DAPRD_CONTAINER = 'daprd';

interface RawMeta extends OwnedMetadata {
  readonly namespace?: unknown;
  readonly annotations?: unknown;
  readonly deletionTimestamp?: unknown;
  readonly creationTimestamp?: unknown;
}

interface RawPod {
  readonly metadata?: RawMeta;
  readonly spec?: {
    readonly containers?: readonly { readonly name?: unknown }[];
    readonly initContainers?: readonly { readonly name?: unknown }[];
  };
  readonly status?: { readonly phase?: unknown };
}

/** A pod that asks for Dapr and runs without daprd. */
export interface MissingSidecar {
  readonly name: string;
  readonly target: InvolvedObject;
  /** metadata.creationTimestamp in ms, to tell the likely cause (cause.ts). */
  readonly createdAt?: number;
}

/** A pod after reduction; `missing` only when it asks for Dapr and runs without daprd. */
export interface PodSidecarState {
  /** `namespace/name` */
  readonly key: string;
  readonly missing?: MissingSidecar;
}

function annotation(meta: RawMeta | undefined, key: string): string | undefined {
  const all = meta?.annotations;
  if (all === null || typeof all !== 'object') return undefined;
  const v = (all as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

function hasDaprd(pod: RawPod): boolean {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.some((c) => c?.name === DAPRD_CONTAINER);
}

/** Pending (phase may not be set yet) or Running, and not being deleted. */
function isAlive(pod: RawPod): boolean {
  const phase = pod.status?.phase;
  return (
    pod.metadata?.deletionTimestamp == null &&
    (phase === undefined || phase === 'Pending' || phase === 'Running')
  );
}

export function reducePod(raw: unknown): PodSidecarState | undefined {
  const pod = raw as RawPod | null;
  const meta = pod?.metadata;
  if (typeof meta?.name !== 'string' || typeof meta.namespace !== 'string') return undefined;
  const key = `${meta.namespace}/${meta.name}`;
  if (!isTruthy(annotation(meta, DAPR_ANNOTATIONS.enabled)) || hasDaprd(pod!) || !isAlive(pod!))
    return { key };
  const target = podEventTarget(meta, meta.namespace);
  if (target === undefined) return { key };
  const createdAt = parseTime(meta.creationTimestamp);
  return { key, missing: { name: meta.name, target, ...(createdAt === undefined ? {} : { createdAt }) } };
}

export interface WorkloadKindRef {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
}

export const WORKLOAD_KINDS: readonly WorkloadKindRef[] = [
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments' },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets' },
  { group: 'apps', version: 'v1', kind: 'DaemonSet', plural: 'daemonsets' },
];

interface RawWorkload {
  readonly metadata?: RawMeta;
  readonly spec?: { readonly template?: { readonly metadata?: RawMeta } };
}

/** A workload after reduction; `misplaced` when dapr.io/enabled is on it but not on its pod template. */
export interface WorkloadAnnotationState {
  /** `Kind/namespace/name` */
  readonly key: string;
  readonly misplaced?: InvolvedObject;
}

export function reduceWorkloadAnnotations(
  kind: WorkloadKindRef,
): (raw: unknown) => WorkloadAnnotationState | undefined {
  return (raw) => {
    const obj = raw as RawWorkload | null;
    const meta = obj?.metadata;
    if (typeof meta?.name !== 'string' || typeof meta.namespace !== 'string') return undefined;
    const key = `${kind.kind}/${meta.namespace}/${meta.name}`;
    const onWorkload = isTruthy(annotation(meta, DAPR_ANNOTATIONS.enabled));
    const onTemplate = annotation(obj!.spec?.template?.metadata, DAPR_ANNOTATIONS.enabled) !== undefined;
    if (!onWorkload || onTemplate || meta.deletionTimestamp != null) return { key };
    return {
      key,
      misplaced: {
        apiVersion: `${kind.group}/${kind.version}`,
        kind: kind.kind,
        namespace: meta.namespace,
        name: meta.name,
        ...(typeof meta.uid === 'string' && meta.uid !== '' ? { uid: meta.uid } : {}),
      },
    };
  };
}

export const MISSING_SIDECAR_REASON = 'DaprSidecarMissing';
export const MISPLACED_ANNOTATION_REASON = 'DaprAnnotationNotOnPodTemplate';

const RESTARTABLE = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** A timestamp as the apiserver writes them (RFC 3339, whole seconds). */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/** Why the webhook was likely not called, and what to do before recreating the pods with `recreate`. */
function causeAndRemedy(cause: MissingSidecarCause, recreate: string): string {
  switch (cause.kind) {
    case 'injector-not-ready':
      return (
        `: no sidecar injector pod is Ready in namespace ${cause.namespace} now, so the API server could not ` +
        'call the webhook and its failurePolicy Ignore let the pod through. Once the injector is Ready ' +
        `(kubectl get pods -n ${cause.namespace} -l '${INJECTOR_POD_SELECTOR}'), recreate the pods: ${recreate}.`
      );
    case 'created-before-ready':
      return (
        `: the pod was created at ${timestamp(cause.createdAt)}, before the sidecar injector was Ready ` +
        `(since ${timestamp(cause.readySince)}). The injector is Ready now: recreate the pods: ${recreate}.`
      );
    case 'not-called-while-ready':
      return (
        ` at ${timestamp(cause.createdAt)}, although the sidecar injector was Ready (since ` +
        `${timestamp(cause.readySince)}): likely the API server could not reach it (a network policy or ` +
        "firewall on the injector's port 4000, e.g. a private cluster's control-plane firewall rule) and its " +
        "failurePolicy Ignore let the pod through, or the webhook's namespaceSelector/objectSelector " +
        `(MutatingWebhookConfiguration dapr-sidecar-injector) left the pod out. Fix that, then recreate the pods: ${recreate}.`
      );
    case 'unknown':
      return (
        ': the pod was created before the sidecar injector was ready, or the webhook was unreachable and ' +
        'its failurePolicy is Ignore. Check that the dapr-sidecar-injector pods are Ready, then recreate the ' +
        `pods: ${recreate}.`
      );
  }
}

/** The DaprSidecarMissing message; its reason stays the same whatever the cause (users alert on it). */
export function missingSidecarMessage(
  pod: string,
  target: InvolvedObject,
  cause: MissingSidecarCause,
): string {
  const recreate = RESTARTABLE.has(target.kind)
    ? `kubectl rollout restart -n ${target.namespace} ${target.kind.toLowerCase()}/${target.name}`
    : `delete the pod (kubectl delete pod -n ${target.namespace} ${pod}) so that it is created again`;
  return (
    `pod ${pod} asks for Dapr (${DAPR_ANNOTATIONS.enabled}) but runs without the daprd sidecar. ` +
    'If an Event from dapr-sidecar-injector on this object names a reason, the injector declined the pod for it; ' +
    `otherwise its webhook was not called when the pod was created${causeAndRemedy(cause, recreate)}`
  );
}

export function misplacedAnnotationMessage(target: InvolvedObject): string {
  return (
    `${target.kind} ${target.name} has ${DAPR_ANNOTATIONS.enabled} in its own metadata.annotations, but not in ` +
    "its pod template: the sidecar injector reads only the pod's annotations, so its pods get no daprd. Move the " +
    'dapr.io/* annotations to spec.template.metadata.annotations.'
  );
}
