// The missing-sidecar detector (docs/operator.md, "When daprd is missing"): on the leader only, it
// lists and watches pods and the Deployments, StatefulSets and DaemonSets, and records a Warning
// Event on the owning workload when a pod that asks for Dapr runs without daprd, or when a
// workload carries dapr.io/enabled on itself instead of its pod template. It reports a finding
// once, when it first sees it; the recorder aggregates repeats into one Event per object and
// reason, and after a restart (or a change of leader) continues the Event it finds instead of
// writing a new one, so a fresh leader relisting every pod does not raise an Event storm.
import { isNotFound, type KubeApi } from '../../kit/kubernetes/client.js';
import type { EventRecorder, InvolvedObject } from '../../kit/kubernetes/events.js';
import { SharedWatches, type WatchSubscription } from '../../kit/kubernetes/shared-watches.js';
import { controllerOf } from '../../kit/kubernetes/owner.js';
import type { Logger } from '../../kit/logger.js';
import { likelyCause } from './cause.js';
import {
  MISPLACED_ANNOTATION_REASON,
  MISSING_SIDECAR_REASON,
  misplacedAnnotationMessage,
  missingSidecarMessage,
  reducePod,
  reduceWorkloadAnnotations,
  WORKLOAD_KINDS,
  type MissingSidecar,
  type PodSidecarState,
  type WorkloadAnnotationState,
  type WorkloadKindRef,
} from './findings.js';
import { InjectorReadinessReader } from './injector-readiness.js';

/** Owners resolved (ReplicaSet → Deployment) and remembered; the oldest is forgotten. */
const MAX_OWNERS = 4096;
/** Owner look-ups in flight at once; beyond that the Event goes to the ReplicaSet itself. */
const MAX_LOOKUPS = 8;
/** Findings held (pods without daprd, misplaced annotations); beyond that they are not tracked. */
const MAX_FINDINGS = 10_000;

export interface MissingSidecarDetectorOptions {
  readonly api: KubeApi;
  /** The pods and workloads are watched through these (shared with the informers and the reconciler); default: its own. */
  readonly watches?: SharedWatches;
  /** --watch-namespace; empty: all namespaces. */
  readonly namespace: string;
  /** The operator's own namespace, where the sidecar injector's pods run (NAMESPACE). */
  readonly controlPlaneNamespace: string;
  readonly recorder: Pick<EventRecorder, 'record'>;
  readonly log: Logger;
  /** Told how many pods that ask for Dapr run without daprd, whenever that changes. */
  readonly onMissingCount?: (count: number) => void;
}

function collection(group: string, version: string, plural: string, namespace: string): string {
  const base = group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
  return namespace === ''
    ? `${base}/${plural}`
    : `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
}

export class MissingSidecarDetector {
  readonly #o: MissingSidecarDetectorOptions;
  readonly #watches: SharedWatches;
  /** Pods without daprd, by `namespace/name`. */
  readonly #pods = new Map<string, MissingSidecar>();
  /** Workloads with the annotation on the wrong level, by key. */
  readonly #misplaced = new Set<string>();
  /** ReplicaSet uid (or name) → its Deployment (or itself). */
  readonly #owners = new Map<string, InvolvedObject>();
  /** Look-ups under way, so that the pods of one ReplicaSet share one GET. */
  readonly #inFlight = new Map<string, Promise<InvolvedObject>>();
  readonly #injector: InjectorReadinessReader;
  #signal: AbortSignal | undefined;

  constructor(options: MissingSidecarDetectorOptions) {
    this.#o = options;
    this.#watches = options.watches ?? new SharedWatches({ api: options.api });
    this.#injector = new InjectorReadinessReader({
      api: options.api,
      namespace: options.controlPlaneNamespace,
      log: options.log,
    });
  }

  get missingCount(): number {
    return this.#pods.size;
  }

  #setPod(state: PodSidecarState): void {
    if (state.missing === undefined) {
      if (this.#pods.delete(state.key)) this.#o.onMissingCount?.(this.#pods.size);
      return;
    }
    if (this.#pods.has(state.key)) return; // reported when first seen
    if (this.#pods.size >= MAX_FINDINGS) return;
    this.#pods.set(state.key, state.missing);
    this.#o.onMissingCount?.(this.#pods.size);
    void this.#reportPod(state.missing);
  }

  async #reportPod(pod: MissingSidecar): Promise<void> {
    const [target, injector] = await Promise.all([
      this.#workloadOf(pod.target),
      this.#injector.read(this.#signal),
    ]);
    if (this.#signal?.aborted !== false) return;
    const message = missingSidecarMessage(pod.name, target, likelyCause(pod.createdAt, injector));
    this.#o.log.warn(
      `${MISSING_SIDECAR_REASON} on ${target.kind} ${target.namespace}/${target.name}: ${message}`,
    );
    this.#o.recorder.record({ object: target, type: 'Warning', reason: MISSING_SIDECAR_REASON, message });
  }

  /** A ReplicaSet's controlling Deployment, so that the Event shows on what the user wrote. */
  async #workloadOf(owner: InvolvedObject): Promise<InvolvedObject> {
    if (owner.kind !== 'ReplicaSet' || owner.apiVersion !== 'apps/v1') return owner;
    const cacheKey = owner.uid ?? `${owner.namespace}/${owner.name}`;
    const known = this.#owners.get(cacheKey) ?? this.#inFlight.get(cacheKey);
    if (known !== undefined) return known;
    if (this.#inFlight.size >= MAX_LOOKUPS) return owner;
    const lookup = this.#lookUp(owner, cacheKey);
    this.#inFlight.set(cacheKey, lookup);
    try {
      return await lookup;
    } finally {
      this.#inFlight.delete(cacheKey);
    }
  }

  async #lookUp(owner: InvolvedObject, cacheKey: string): Promise<InvolvedObject> {
    let resolved: InvolvedObject;
    try {
      const rs = await this.#o.api.request<{ metadata?: Record<string, unknown> }>(
        `/apis/apps/v1/namespaces/${encodeURIComponent(owner.namespace)}/replicasets/${encodeURIComponent(owner.name)}`,
        { signal: this.#signal, timeoutMs: 10_000 },
      );
      resolved = controllerOf(rs.metadata, owner.namespace) ?? owner;
    } catch (err) {
      if (!isNotFound(err))
        this.#o.log.debug(`Could not read ReplicaSet ${owner.namespace}/${owner.name}: ${String(err)}`);
      return owner; // not remembered: the next pod tries again
    }
    while (this.#owners.size >= MAX_OWNERS) {
      const oldest = this.#owners.keys().next().value;
      if (oldest === undefined) break;
      this.#owners.delete(oldest);
    }
    this.#owners.set(cacheKey, resolved);
    return resolved;
  }

  #setWorkload(state: WorkloadAnnotationState): void {
    if (state.misplaced === undefined) {
      this.#misplaced.delete(state.key);
      return;
    }
    if (this.#misplaced.has(state.key) || this.#misplaced.size >= MAX_FINDINGS) return;
    this.#misplaced.add(state.key);
    const target = state.misplaced;
    const message = misplacedAnnotationMessage(target);
    this.#o.log.warn(
      `${MISPLACED_ANNOTATION_REASON} on ${target.kind} ${target.namespace}/${target.name}: ${message}`,
    );
    this.#o.recorder.record({
      object: target,
      type: 'Warning',
      reason: MISPLACED_ANNOTATION_REASON,
      message,
    });
  }

  #podWatch(): WatchSubscription<PodSidecarState> {
    return {
      path: collection('', 'v1', 'pods', this.#o.namespace),
      transform: reducePod,
      log: this.#o.log,
      handler: {
        replace: (items) => {
          const present = new Set(items.map((i) => i.key));
          for (const key of [...this.#pods.keys()]) if (!present.has(key)) this.#pods.delete(key);
          this.#o.onMissingCount?.(this.#pods.size);
          for (const item of items) this.#setPod(item);
        },
        upsert: (item) => this.#setPod(item),
        deleted: (item) => this.#setPod({ key: item.key }),
      },
    };
  }

  #workloadWatch(kind: WorkloadKindRef): WatchSubscription<WorkloadAnnotationState> {
    const prefix = `${kind.kind}/`;
    return {
      path: collection(kind.group, kind.version, kind.plural, this.#o.namespace),
      transform: reduceWorkloadAnnotations(kind),
      log: this.#o.log,
      handler: {
        replace: (items) => {
          const present = new Set(items.map((i) => i.key));
          for (const key of [...this.#misplaced])
            if (key.startsWith(prefix) && !present.has(key)) this.#misplaced.delete(key);
          for (const item of items) this.#setWorkload(item);
        },
        upsert: (item) => this.#setWorkload(item),
        deleted: (item) => this.#setWorkload({ key: item.key }),
      },
    };
  }

  /** Watches until `signal` aborts (leadership lost or shutdown). */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    this.#o.log.info('Starting the missing-sidecar detector');
    await Promise.all([
      this.#watches.run(this.#podWatch(), signal),
      ...WORKLOAD_KINDS.map((kind) => this.#watches.run(this.#workloadWatch(kind), signal)),
    ]);
    this.#pods.clear();
    this.#misplaced.clear();
    this.#o.onMissingCount?.(0);
    this.#o.log.info('Missing-sidecar detector stopped');
  }
}
