// One informer's store for a dapr.io kind: the objects of every (watched) namespace as the
// apiserver returned them, and the change events the streams are built from. Only real changes
// become events (docs/contracts/operator.md §1.6, §8): an upsert whose resourceVersion equals the one already
// held is dropped, and a relist (after 410 Gone or an apiserver restart) is diffed against what
// was held, so objects that did not change while the watch was down produce nothing.
import type { ListWatchHandler } from '../../kit/kubernetes/list-watch.js';
import { apiVersionOf, type DaprKind } from './kinds.js';

export interface ObjectMeta {
  readonly name: string;
  readonly namespace: string;
  readonly resourceVersion?: string;
  readonly [key: string]: unknown;
}

/** A dapr.io object exactly as the API gave it (JSON passthrough, §1.3). */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly scopes?: readonly string[];
  readonly [key: string]: unknown;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  readonly type: ChangeType;
  /** The new object; for DELETED the last known one. */
  readonly object: KubeObject;
  /** The object before a MODIFIED (scope changes compare both, §1.6). */
  readonly old?: KubeObject;
}

export type ChangeListener = (change: Change) => void;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects whose apiVersion/kind the cache filled in (the API server's JSON had none). */
const FILLED_TYPE_META = new WeakMap<KubeObject, readonly ('apiVersion' | 'kind')[]>();

/**
 * The object as the API server sent it: without the apiVersion/kind the cache filled in. Watch
 * events are forwarded like this, as upstream forwards its informers' objects; list answers
 * carry the filled-in fields, as upstream's cached reads do.
 */
export function asReceived(object: KubeObject): KubeObject {
  const filled = FILLED_TYPE_META.get(object);
  if (filled === undefined) return object;
  const copy: Record<string, unknown> = { ...object };
  for (const key of filled) delete copy[key];
  return copy as unknown as KubeObject;
}

/**
 * Same resourceVersion: a relist or resync, not a change. An API server that sets no
 * resourceVersion (some test servers, some aggregated APIs) is compared by content instead.
 */
function unchanged(old: KubeObject, item: KubeObject): boolean {
  const version = item.metadata.resourceVersion;
  if (version !== undefined && version !== '') return old.metadata.resourceVersion === version;
  return JSON.stringify(old) === JSON.stringify(item);
}

export class ResourceCache implements ListWatchHandler<KubeObject> {
  readonly kind: DaprKind;
  readonly #byNamespace = new Map<string, Map<string, KubeObject>>();
  readonly #listeners = new Set<ChangeListener>();
  #synced = false;
  readonly #syncWaiters: (() => void)[] = [];

  constructor(kind: DaprKind) {
    this.kind = kind;
  }

  /** For ListWatch: keeps the object whole, with apiVersion/kind filled in when a list omits them. */
  readonly transform = (raw: unknown): KubeObject | undefined => {
    if (!isObject(raw) || !isObject(raw.metadata)) return undefined;
    const { name, namespace } = raw.metadata;
    if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
    const object = {
      ...raw,
      apiVersion: typeof raw.apiVersion === 'string' ? raw.apiVersion : apiVersionOf(this.kind),
      kind: typeof raw.kind === 'string' ? raw.kind : this.kind.kind,
    } as KubeObject;
    const filled = (['apiVersion', 'kind'] as const).filter((key) => typeof raw[key] !== 'string');
    if (filled.length > 0) FILLED_TYPE_META.set(object, filled);
    return object;
  };

  get synced(): boolean {
    return this.#synced;
  }

  /** Resolves after the first complete list. */
  whenSynced(): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve) => this.#syncWaiters.push(resolve));
  }

  /** The objects of one namespace, by name (a stable order for List answers). */
  list(namespace: string): KubeObject[] {
    const objects = [...(this.#byNamespace.get(namespace)?.values() ?? [])];
    return objects.sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0,
    );
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.#byNamespace.get(namespace)?.get(name);
  }

  get size(): number {
    let n = 0;
    for (const m of this.#byNamespace.values()) n += m.size;
    return n;
  }

  /** Registers a listener for changes from now on (no replay); returns the unsubscribe. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  #emit(change: Change): void {
    for (const listener of this.#listeners) listener(change);
  }

  #set(object: KubeObject): void {
    const { namespace, name } = object.metadata;
    let names = this.#byNamespace.get(namespace);
    if (names === undefined) {
      names = new Map();
      this.#byNamespace.set(namespace, names);
    }
    names.set(name, object);
  }

  #remove(object: KubeObject): KubeObject | undefined {
    const { namespace, name } = object.metadata;
    const names = this.#byNamespace.get(namespace);
    const held = names?.get(name);
    if (held === undefined) return undefined;
    names!.delete(name);
    if (names!.size === 0) this.#byNamespace.delete(namespace);
    return held;
  }

  replace(items: KubeObject[]): void {
    const seen = new Set<string>();
    for (const item of items) {
      seen.add(`${item.metadata.namespace}/${item.metadata.name}`);
      this.upsert(item);
    }
    for (const [namespace, names] of [...this.#byNamespace]) {
      for (const [name, held] of [...names]) {
        if (!seen.has(`${namespace}/${name}`)) this.deleted(held);
      }
    }
    if (!this.#synced) {
      this.#synced = true;
      for (const resolve of this.#syncWaiters.splice(0)) resolve();
    }
  }

  upsert(item: KubeObject): void {
    const old = this.get(item.metadata.namespace, item.metadata.name);
    if (old !== undefined && unchanged(old, item)) return;
    this.#set(item);
    this.#emit(old === undefined ? { type: 'ADDED', object: item } : { type: 'MODIFIED', object: item, old });
  }

  deleted(item: KubeObject): void {
    const held = this.#remove(item);
    // A delete for an object never seen (e.g. created and deleted while the watch was down) is
    // news to nobody.
    if (held === undefined) return;
    this.#emit({ type: 'DELETED', object: item.metadata.resourceVersion ? item : held });
  }
}
