// List-then-watch cache of one resource collection, as client-go's informers do: a full list
// gives a resourceVersion, a watch from it delivers changes, and a watch that ends (timeout,
// 410 Gone, connection loss) is resumed from the last seen version or, failing that, re-listed.
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeError, query, type KubeClient, type WatchEventType } from './kube-client.js';

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export type InformerHandler<T> = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T, old: T | undefined) => void;

export interface InformerOptions {
  /** Collection path, e.g. /api/v1/pods */
  readonly path: string;
  readonly fieldSelector?: string;
  readonly labelSelector?: string;
  /** Called after a watch failure, for logs. */
  readonly onError?: (err: unknown) => void;
}

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;

export class Informer<T extends KubeObject> {
  readonly store = new Map<string, T>();
  readonly #handlers: InformerHandler<T>[] = [];
  #stopped = false;
  #current: { abort(): void } | undefined;
  #loop: Promise<void> | undefined;
  #synced!: () => void;
  /** Resolves after the first list has been delivered to the handlers. */
  readonly synced: Promise<void> = new Promise((ok) => (this.#synced = ok));

  constructor(
    readonly client: KubeClient,
    readonly opts: InformerOptions,
  ) {}

  on(handler: InformerHandler<T>): this {
    this.#handlers.push(handler);
    return this;
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(`${namespace ?? ''}/${name}`);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.synced;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#current?.abort();
    await this.#loop?.catch(() => undefined);
  }

  #emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T, old: T | undefined): void {
    for (const h of this.#handlers) {
      try {
        h(type, obj, old);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  async #relist(): Promise<string> {
    const list = await this.client.get<{ metadata: { resourceVersion: string }; items: T[] }>(
      this.opts.path +
        query({ fieldSelector: this.opts.fieldSelector, labelSelector: this.opts.labelSelector }),
    );
    const seen = new Set<string>();
    for (const item of list.items) {
      const k = keyOf(item);
      seen.add(k);
      const old = this.store.get(k);
      this.store.set(k, item);
      if (old === undefined) this.#emit('ADDED', item, undefined);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion)
        this.#emit('MODIFIED', item, old);
    }
    for (const [k, old] of [...this.store]) {
      if (!seen.has(k)) {
        this.store.delete(k);
        this.#emit('DELETED', old, old);
      }
    }
    return list.metadata.resourceVersion;
  }

  #apply(type: WatchEventType, obj: unknown): string | undefined {
    if (type === 'BOOKMARK') return (obj as KubeObject).metadata?.resourceVersion;
    if (type === 'ERROR') {
      const status = obj as { code?: number; message?: string };
      throw new KubeError(status.code ?? 500, 'WATCH', this.opts.path, status.message ?? 'watch error');
    }
    const o = obj as T;
    const k = keyOf(o);
    const old = this.store.get(k);
    if (type === 'DELETED') {
      this.store.delete(k);
      this.#emit('DELETED', o, old);
    } else {
      this.store.set(k, o);
      this.#emit(old === undefined ? 'ADDED' : 'MODIFIED', o, old);
    }
    return o.metadata?.resourceVersion;
  }

  async #run(): Promise<void> {
    let rv: string | undefined;
    let failures = 0;
    while (!this.#stopped) {
      try {
        if (rv === undefined) {
          rv = await this.#relist();
          this.#synced();
        }
        const path =
          this.opts.path +
          query({
            watch: 1,
            resourceVersion: rv,
            allowWatchBookmarks: true,
            timeoutSeconds: 300,
            fieldSelector: this.opts.fieldSelector,
            labelSelector: this.opts.labelSelector,
          });
        const handle = this.client.watch(path, (type, obj) => {
          rv = this.#apply(type, obj) ?? rv;
        });
        this.#current = handle;
        await handle.done;
        failures = 0;
      } catch (err) {
        if (this.#stopped) return;
        if (err instanceof KubeError && err.code === 410)
          rv = undefined; // too old: re-list
        else {
          failures++;
          this.opts.onError?.(err);
          if (failures > 2) rv = undefined;
          await sleep(Math.min(200 * 2 ** failures, 5000));
        }
      }
    }
  }
}
