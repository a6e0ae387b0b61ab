// The Service reconciler (docs/contracts/operator.md §4): every Dapr-enabled Deployment and StatefulSet (and
// Argo Rollout, behind a flag) gets its `<app-id>-dapr` headless Service, created with POST and
// rewritten with a full PUT (the chart grants no patch on services). It runs only on the leader.
//
// Design: one list-watch per workload kind, reduced on arrival (workloads.ts), and one
// list-watch of the Services labelled `dapr.io/enabled=true` (observed-service.ts), which plays
// the role of upstream's Owns(Service): a Service that is changed by hand or deleted is written
// again. A write happens only when the observed Service differs from the desired one, so status
// updates of a Deployment (several per rollout) do not turn into PUTs; upstream PUTs on every
// event, with the same end state. Keys are reconciled by a small worker pool; a key is never
// reconciled twice at once, and an event during a reconcile runs it again afterwards.
import { setMaxListeners } from 'node:events';
import { isConflict, isNotFound, type KubeApi } from '../../kit/kubernetes/client.js';
import { nextBackoff, INITIAL_BACKOFF_MS } from '../../kit/kubernetes/list-watch.js';
import { SharedWatches, type WatchSubscription } from '../../kit/kubernetes/shared-watches.js';
import type { Logger } from '../../kit/logger.js';
import { orAborted } from '../../kit/runner.js';
import type { OperatorMetrics } from '../metrics.js';
import { DAPR_SERVICE_LABEL, desiredService, type DaprWorkload } from './desired-service.js';
import { desiredFingerprint, reduceService, serviceKey, type ObservedService } from './observed-service.js';
import { collectionPath, reduceWorkload, type WorkloadKind, type WorkloadState } from './workloads.js';
import { DAPR_ANNOTATIONS } from '../../kit/dapr/annotations.js';

export const DAPR_SERVICE_LABEL_SELECTOR = `${DAPR_SERVICE_LABEL}=true`;
export const DEFAULT_CONCURRENCY = 16;

export interface ServiceReconcilerOptions {
  readonly api: KubeApi;
  /** The workloads and Services are watched through these (shared with the detector); default: its own. */
  readonly watches?: SharedWatches;
  /** Deployment and StatefulSet, plus Rollout with --enable-argo-rollout-service-reconciler. */
  readonly kinds: readonly WorkloadKind[];
  /** --watch-namespace; empty: all namespaces. */
  readonly namespace: string;
  readonly metrics: OperatorMetrics;
  readonly log: Logger;
  readonly concurrency?: number;
  /** Told the number of Dapr workloads held whenever it changes (a gauge; proves nothing else is kept). */
  readonly onWorkloadCount?: (count: number) => void;
  /** Scheduling of retries, injected by tests. */
  readonly setTimer?: (fn: () => void, ms: number) => { cancel(): void };
}

function servicesPath(namespace: string): string {
  return namespace === '' ? '/api/v1/services' : `/api/v1/namespaces/${namespace}/services`;
}

interface ServiceObject {
  readonly metadata?: { readonly resourceVersion?: string };
}

export class ServiceReconciler {
  readonly #opts: ServiceReconcilerOptions;
  readonly #watches: SharedWatches;
  /** Dapr-enabled workloads only, by workload key. */
  readonly #workloads = new Map<string, DaprWorkload>();
  /** Services labelled dapr.io/enabled=true, by `namespace/name`. */
  #observed = new Map<string, ObservedService>();
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #active = new Set<string>();
  readonly #again = new Set<string>();
  readonly #retries = new Map<string, { attempt: number; timer?: { cancel(): void } }>();
  #signal: AbortSignal | undefined;
  #idle: (() => void)[] = [];

  constructor(opts: ServiceReconcilerOptions) {
    this.#opts = opts;
    this.#watches = opts.watches ?? new SharedWatches({ api: opts.api });
  }

  /** How many Dapr workloads are held (for tests and the memory check). */
  get workloadCount(): number {
    return this.#workloads.size;
  }

  /** Resolves when no reconcile is queued or running (tests). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #isIdle(): boolean {
    return this.#queue.length === 0 && this.#active.size === 0;
  }

  /** Decides whether `key` needs a write now, and queues it if so. */
  #consider(key: string): void {
    const workload = this.#workloads.get(key);
    if (workload === undefined) return;
    const result = desiredService(workload);
    if ('error' in result) {
      this.#enqueue(key); // the reconcile logs the error
      return;
    }
    const observed = this.#observed.get(serviceKey(workload.namespace, result.service.metadata.name));
    if (observed?.ownerKey === key && observed.fingerprint === desiredFingerprint(result.service)) return;
    this.#enqueue(key);
  }

  #enqueue(key: string): void {
    if (this.#signal?.aborted !== false) return;
    if (this.#active.has(key)) {
      this.#again.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  #pump(): void {
    const limit = this.#opts.concurrency ?? DEFAULT_CONCURRENCY;
    while (this.#active.size < limit && this.#queue.length > 0) {
      const key = this.#queue.shift()!;
      this.#queued.delete(key);
      this.#active.add(key);
      void this.#reconcileWithRetry(key).finally(() => {
        this.#active.delete(key);
        if (this.#again.delete(key)) this.#enqueue(key);
        this.#pump();
        if (this.#isIdle()) for (const resolve of this.#idle.splice(0)) resolve();
      });
    }
  }

  async #reconcileWithRetry(key: string): Promise<void> {
    const retry = this.#retries.get(key);
    retry?.timer?.cancel();
    try {
      await this.reconcile(key);
      this.#retries.delete(key);
    } catch (err) {
      if (this.#signal?.aborted !== false) return;
      const attempt = (retry?.attempt ?? 0) + 1;
      let backoff = INITIAL_BACKOFF_MS;
      for (let i = 1; i < attempt; i++) backoff = nextBackoff(backoff);
      this.#opts.log.error(
        `Failed to ensure the Dapr service of ${key}, retrying in ${backoff} ms: ${err instanceof Error ? err.message : String(err)}`,
      );
      const setTimer =
        this.#opts.setTimer ??
        ((fn, ms): { cancel(): void } => {
          const t = setTimeout(fn, ms);
          return { cancel: () => clearTimeout(t) };
        });
      this.#retries.set(key, { attempt, timer: setTimer(() => this.#enqueue(key), backoff) });
    }
  }

  /** One reconcile of a workload key: create or replace its Service. Throws on API failures. */
  async reconcile(key: string): Promise<void> {
    const { api, metrics, log } = this.#opts;
    const workload = this.#workloads.get(key);
    if (workload === undefined) return; // gone or no longer Dapr-enabled: the Service stays
    const result = desiredService(workload);
    if ('error' in result) {
      // Not retried: nothing changes until the workload does, and that triggers a new reconcile.
      log.error(`Failed to ensure the Dapr service of ${key}: ${result.error}`);
      return;
    }
    const { service, ignoredKeys } = result;
    for (const k of ignoredKeys)
      log.warn(`Ignoring reserved annotation ${JSON.stringify(k)} as it is operator-managed`);
    const appId = workload.annotations[DAPR_ANNOTATIONS.appId]!;
    const collection = `/api/v1/namespaces/${service.metadata.namespace}/services`;
    const path = `${collection}/${service.metadata.name}`;
    const signal = this.#signal;
    let existing: ServiceObject | undefined;
    try {
      existing = await api.request<ServiceObject>(path, { signal });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (existing === undefined) {
      await api.request(collection, { method: 'POST', body: service, signal });
      metrics.serviceCreated(appId);
      log.info(`Created service ${service.metadata.namespace}/${service.metadata.name} for ${key}`);
      return;
    }
    const body = {
      ...service,
      metadata: { ...service.metadata, resourceVersion: existing.metadata?.resourceVersion },
    };
    try {
      await api.request(path, { method: 'PUT', body, signal });
    } catch (err) {
      if (isConflict(err)) log.debug(`Service ${path} changed while it was updated; retrying`);
      throw err;
    }
    metrics.serviceUpdated(appId);
    log.debug(`Updated service ${service.metadata.namespace}/${service.metadata.name} for ${key}`);
  }

  #applyWorkload(state: WorkloadState): void {
    if (state.workload === undefined) this.#forget(state.key);
    else {
      const before = this.#workloads.size;
      this.#workloads.set(state.key, state.workload);
      if (this.#workloads.size !== before) this.#opts.onWorkloadCount?.(this.#workloads.size);
    }
    this.#consider(state.key);
  }

  #forget(key: string): void {
    if (this.#workloads.delete(key)) this.#opts.onWorkloadCount?.(this.#workloads.size);
  }

  #workloadWatch(kind: WorkloadKind): WatchSubscription<WorkloadState> {
    const prefix = `${kind.kind}/`;
    return {
      path: collectionPath(kind, this.#opts.namespace),
      transform: reduceWorkload(kind),
      log: this.#opts.log,
      handler: {
        replace: (items) => {
          const present = new Set(items.map((i) => i.key));
          for (const key of [...this.#workloads.keys()]) {
            if (key.startsWith(prefix) && !present.has(key)) this.#forget(key);
          }
          for (const item of items) this.#applyWorkload(item);
        },
        upsert: (item) => this.#applyWorkload(item),
        deleted: (item) => this.#forget(item.key),
      },
    };
  }

  #serviceWatch(onSynced: () => void): WatchSubscription<ObservedService> {
    const touched = (svc: ObservedService | undefined): void => {
      if (svc?.ownerKey !== undefined) this.#consider(svc.ownerKey);
    };
    return {
      path: servicesPath(this.#opts.namespace),
      selectors: { labelSelector: DAPR_SERVICE_LABEL_SELECTOR },
      transform: reduceService,
      log: this.#opts.log,
      handler: {
        replace: (items) => {
          const before = this.#observed;
          this.#observed = new Map(items.map((s) => [s.key, s]));
          for (const [key, svc] of before) if (!this.#observed.has(key)) touched(svc);
          for (const svc of items) touched(svc);
          onSynced();
        },
        upsert: (svc) => {
          this.#observed.set(svc.key, svc);
          touched(svc);
        },
        deleted: (svc) => {
          this.#observed.delete(svc.key);
          touched(svc);
        },
      },
    };
  }

  /** Reconciles until `signal` aborts (leadership lost or shutdown). */
  async run(signal: AbortSignal): Promise<void> {
    this.#signal = signal;
    // Every in-flight request listens for the abort: as many as the concurrency, plus the watches.
    setMaxListeners((this.#opts.concurrency ?? DEFAULT_CONCURRENCY) + 16, signal);
    const { log } = this.#opts;
    log.info(`Starting the Service reconciler for ${this.#opts.kinds.map((k) => k.kind).join(', ')}`);
    let synced: () => void = () => undefined;
    const servicesSynced = new Promise<void>((resolve) => (synced = resolve));
    const watches = this.#watches;
    const services = watches.run(
      this.#serviceWatch(() => synced()),
      signal,
    );
    // The Services are known before the first workload decision, so that existing, correct
    // Services are not rewritten at startup.
    await orAborted(servicesSynced, signal);
    const workloads = signal.aborted
      ? []
      : this.#opts.kinds.map((k) => watches.run(this.#workloadWatch(k), signal));
    await Promise.all([services, ...workloads]);
    for (const retry of this.#retries.values()) retry.timer?.cancel();
    this.#retries.clear();
    this.#queue.length = 0;
    this.#queued.clear();
    this.#workloads.clear();
    this.#opts.onWorkloadCount?.(0);
    this.#observed.clear();
    log.info('Service reconciler stopped');
  }
}
