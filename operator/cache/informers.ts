// The operator's informers (docs/contracts/operator.md §5.2): one list-watch per dapr.io kind and one for pods'
// Dapr annotations, all on every replica, subscribed through SharedWatches (the pods and
// Components are watched once for the whole all-in-one process, docs/all-in-one.md). The
// list-watch keeps the watch contract (resume from the last resourceVersion, relist on 410 Gone,
// back off while the apiserver is away); the caches turn what it sees into real changes only.
// `operator-cache` turns ready once all have listed.
import type { HealthTarget } from '../../kit/health-targets.js';
import { isNotFound, type KubeApi } from '../../kit/kubernetes/client.js';
import { ListWatch } from '../../kit/kubernetes/list-watch.js';
import { SharedWatches } from '../../kit/kubernetes/shared-watches.js';
import type { Logger } from '../../kit/logger.js';
import { collectionPath, DAPR_KINDS, KIND_KEYS, type KindKey } from './kinds.js';
import { PodConfigCache } from './pod-configs.js';
import { ResourceCache } from './resource-cache.js';

/**
 * The kinds new in 1.18 whose CRDs a cluster upgraded with `helm upgrade` may lack (Helm installs
 * crds/ only once). As upstream, a missing one is an empty list, not an error; the watch keeps
 * being retried, and once the CRD is installed its objects arrive as they are created.
 */
export const OPTIONAL_KINDS: ReadonlySet<KindKey> = new Set(['mcpServer', 'workflowAccessPolicy']);

/** A list answered 404 (no such resource) is empty: version '' then watches from "now". */
export function missingCrdIsEmpty(api: KubeApi, onMissing: () => void): KubeApi {
  return {
    request: async <T>(path: string, options?: Parameters<KubeApi['request']>[1]): Promise<T> => {
      try {
        return await api.request<T>(path, options);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        onMissing();
        return { metadata: { resourceVersion: '' }, items: [] } as T;
      }
    },
    watch: (path, query, onEvent, signal) => api.watch(path, query, onEvent, signal),
  };
}

export interface InformersOptions {
  readonly api: KubeApi;
  /** The operator's (or the all-in-one process's) shared watches; default: its own over `api`. */
  readonly watches?: SharedWatches;
  /** --watch-namespace; empty: all namespaces. */
  readonly watchNamespace: string;
  readonly log?: Logger;
  readonly health?: HealthTarget;
}

export class Informers {
  readonly resources: Readonly<Record<KindKey, ResourceCache>>;
  readonly pods = new PodConfigCache();
  readonly #options: InformersOptions;

  constructor(options: InformersOptions) {
    this.#options = options;
    const caches = {} as Record<KindKey, ResourceCache>;
    for (const key of KIND_KEYS) caches[key] = new ResourceCache(DAPR_KINDS[key]);
    this.resources = caches;
  }

  get synced(): boolean {
    return this.pods.synced && KIND_KEYS.every((k) => this.resources[k].synced);
  }

  whenSynced(): Promise<void> {
    return Promise.all([
      this.pods.whenSynced(),
      ...KIND_KEYS.map((k) => this.resources[k].whenSynced()),
    ]).then(() => undefined);
  }

  /** Runs every list-watch until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const { api, watchNamespace, log, health } = this.#options;
    const watches = this.#options.watches ?? new SharedWatches({ api });
    const loops: Promise<void>[] = KIND_KEYS.map((key) => {
      const cache = this.resources[key];
      const subscription = {
        path: collectionPath(cache.kind, watchNamespace),
        transform: cache.transform,
        handler: cache,
        log,
      };
      if (!OPTIONAL_KINDS.has(key)) return watches.run(subscription, signal);
      // Only the operator reads these kinds, and a missing CRD is its own rule: not shared.
      const kindApi = missingCrdIsEmpty(api, () =>
        log?.warn(`${cache.kind.plural}.dapr.io is not installed: serving an empty list until it is`),
      );
      return new ListWatch({ ...subscription, api: kindApi }).run(signal);
    });
    const podsPath =
      watchNamespace === ''
        ? '/api/v1/pods'
        : `/api/v1/namespaces/${encodeURIComponent(watchNamespace)}/pods`;
    loops.push(
      watches.run({ path: podsPath, transform: this.pods.transform, handler: this.pods, log }, signal),
    );
    void this.whenSynced().then(() => {
      if (signal.aborted) return;
      log?.info('Operator caches are synced');
      health?.ready();
    });
    await Promise.all(loops);
    health?.notReady();
  }
}
