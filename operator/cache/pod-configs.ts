// Which Configuration each Dapr app is assigned (docs/contracts/operator.md §1.6 rule 6): the `dapr.io/config`
// annotation of its pods. Pods are listed and watched cluster-wide, but each one is reduced at
// once to three strings, and only pods that are Dapr-enabled and name a config are kept: the
// memory held does not grow with pods that are not Dapr-enabled (the 10k-pod benchmark).
import { isTruthy } from '../../kit/go-values.js';
import type { ListWatchHandler } from '../../kit/kubernetes/list-watch.js';
import { DAPR_ANNOTATIONS } from '../../kit/dapr/annotations.js';

/** One pod reduced to what the lookup needs; `config` is empty when the pod does not count. */
export interface PodConfig {
  readonly namespace: string;
  readonly name: string;
  readonly appId: string;
  readonly config: string;
}

interface RawPod {
  readonly metadata?: {
    readonly name?: unknown;
    readonly namespace?: unknown;
    readonly annotations?: Readonly<Record<string, unknown>>;
  };
}

/** The reduction (per upstream: the app-id falls back to the pod name). */
export function podConfigOf(raw: unknown): PodConfig | undefined {
  const meta = (raw as RawPod | null)?.metadata;
  if (typeof meta?.name !== 'string' || typeof meta.namespace !== 'string') return undefined;
  const annotations = meta.annotations ?? {};
  const text = (key: string): string => {
    const v = annotations[key];
    return typeof v === 'string' ? v : '';
  };
  const counts = isTruthy(text(DAPR_ANNOTATIONS.enabled)) && text(DAPR_ANNOTATIONS.config) !== '';
  return {
    namespace: meta.namespace,
    name: meta.name,
    appId: counts ? text(DAPR_ANNOTATIONS.appId) || meta.name : '',
    config: counts ? text(DAPR_ANNOTATIONS.config) : '',
  };
}

export class PodConfigCache implements ListWatchHandler<PodConfig> {
  /** namespace → pod name → [appId, config], Dapr pods with a config only. */
  readonly #pods = new Map<string, Map<string, readonly [string, string]>>();
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];

  readonly transform = podConfigOf;

  get synced(): boolean {
    return this.#synced;
  }

  whenSynced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** The config assigned to `appId` in `namespace`, or undefined. */
  configFor(namespace: string, appId: string): string | undefined {
    for (const [id, config] of this.#pods.get(namespace)?.values() ?? []) {
      if (id === appId) return config;
    }
    return undefined;
  }

  /** How many pods are held (for tests and the memory benchmark). */
  get size(): number {
    let n = 0;
    for (const m of this.#pods.values()) n += m.size;
    return n;
  }

  replace(items: PodConfig[]): void {
    this.#pods.clear();
    for (const item of items) this.upsert(item);
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  upsert(item: PodConfig): void {
    if (item.config === '') return this.deleted(item);
    let names = this.#pods.get(item.namespace);
    if (names === undefined) {
      names = new Map();
      this.#pods.set(item.namespace, names);
    }
    names.set(item.name, [item.appId, item.config]);
  }

  deleted(item: PodConfig): void {
    const names = this.#pods.get(item.namespace);
    if (names === undefined) return;
    names.delete(item.name);
    if (names.size === 0) this.#pods.delete(item.namespace);
  }
}
