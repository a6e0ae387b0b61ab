// One list-and-watch per collection (path and selectors) for all the parts of a process that
// watch it (docs/all-in-one.md, "What is shared"): the all-in-one process runs sentry's pod
// cache, the operator's informers, detector and reconciler, and the injector's Component cache
// over one SharedWatches, so the apiserver serves one watch per collection instead of one per
// service, and each event is received and parsed once.
//
// Each subscriber keeps its own `transform` and handler: an object is reduced for each one as it
// arrives and nothing raw is held here, so what stays in memory is what the subscribers keep, as
// with a ListWatch of their own. A subscriber that joins a running watch needs the whole set:
// the watch lists again and every subscriber gets the new list through `replace`, as after a
// 410 Gone (which every handler takes already). The watch stops when its last subscriber leaves.
import type { Logger } from '../logger.js';
import type { KubeApi } from './client.js';
import {
  DEFAULT_PAGE_SIZE,
  RawListWatch,
  typedSink,
  type Delay,
  type ListWatchHandler,
  type RawListWatchSink,
} from './list-watch.js';

export interface WatchSubscription<T> {
  /** Collection path, e.g. `/api/v1/pods` (all namespaces). */
  readonly path: string;
  /** labelSelector, fieldSelector: part of what is shared (other selectors, another watch). */
  readonly selectors?: Readonly<Record<string, string>>;
  /** Reduces an object to what this subscriber keeps; undefined skips it. */
  readonly transform: (raw: unknown) => T | undefined;
  readonly handler: ListWatchHandler<T>;
  /** The shared list asks for the smallest page any subscriber asks for. */
  readonly pageSize?: number;
  /** The watch's failures are logged with its first subscriber's logger. */
  readonly log?: Logger;
}

export interface SharedWatchesOptions {
  readonly api: KubeApi;
  /** Injected for tests, which must never sleep. */
  readonly delay?: Delay;
  readonly random?: () => number;
}

interface Subscriber {
  readonly sink: RawListWatchSink;
  readonly pageSize: number;
  /** Got its first list: events before that are not its. */
  listed: boolean;
}

/** Calls `deliver` for each subscriber, then throws the first failure (the loop retries it). */
function toEach<S>(subscribers: Iterable<S>, deliver: (s: S) => void): void {
  let failure: { error: unknown } | undefined;
  for (const s of subscribers) {
    try {
      deliver(s);
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
}

/** One collection's loop and its subscribers. */
class SharedWatch implements RawListWatchSink {
  readonly #subscribers = new Set<Subscriber>();
  readonly #loop: RawListWatch;
  readonly #stop = new AbortController();
  #started = false;
  /** Settles when the loop has ended. */
  readonly done: Promise<void>;

  constructor(
    options: SharedWatchesOptions,
    path: string,
    selectors: WatchSubscription<unknown>['selectors'],
    log: Logger | undefined,
  ) {
    const subscribers = this.#subscribers;
    this.#loop = new RawListWatch(
      {
        ...options,
        path,
        selectors,
        log,
        get pageSize(): number {
          let size = DEFAULT_PAGE_SIZE;
          for (const s of subscribers) size = Math.min(size, s.pageSize);
          return size;
        },
      },
      this,
    );
    // Started on the next turn of the event loop, so that the parts that subscribe together
    // (one process starting its services) share the first list.
    this.done = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#started = true;
      return this.#loop.run(this.#stop.signal);
    });
  }

  add(subscriber: Subscriber): void {
    this.#subscribers.add(subscriber);
    if (this.#started) this.#loop.relist();
  }

  /** Whether that was the last subscriber (the loop then stops). */
  remove(subscriber: Subscriber): boolean {
    this.#subscribers.delete(subscriber);
    if (this.#subscribers.size > 0) return false;
    this.#stop.abort();
    return true;
  }

  beginList(): { add(raw: unknown): void; commit(): void } {
    const lists = [...this.#subscribers].map((subscriber) => ({
      subscriber,
      list: subscriber.sink.beginList(),
    }));
    return {
      add: (raw) => toEach(lists, ({ list }) => list.add(raw)),
      commit: () =>
        toEach(lists, ({ subscriber, list }) => {
          if (!this.#subscribers.has(subscriber)) return; // left during the list
          subscriber.listed = true;
          list.commit();
        }),
    };
  }

  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: unknown): void {
    toEach([...this.#subscribers], (subscriber) => {
      if (subscriber.listed) subscriber.sink.event(type, raw);
    });
  }
}

function watchKey(path: string, selectors: WatchSubscription<unknown>['selectors']): string {
  const sorted = Object.entries(selectors ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([path, sorted]);
}

export class SharedWatches {
  readonly #options: SharedWatchesOptions;
  readonly #watches = new Map<string, SharedWatch>();

  constructor(options: SharedWatchesOptions) {
    this.#options = options;
  }

  /** How many collections are watched now (for tests). */
  get watchCount(): number {
    return this.#watches.size;
  }

  /**
   * Delivers the collection to `subscription.handler` until `signal` aborts, like a ListWatch
   * of its own: a list through `replace` first, then the changes. Failures are retried, never
   * thrown. Resolves once this subscriber is gone (and, for the last one, the watch has ended).
   */
  async run<T>(subscription: WatchSubscription<T>, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const { path, selectors } = subscription;
    const key = watchKey(path, selectors);
    let watch = this.#watches.get(key);
    if (watch === undefined) {
      watch = new SharedWatch(this.#options, path, selectors, subscription.log);
      this.#watches.set(key, watch);
    }
    const subscriber: Subscriber = {
      sink: typedSink(subscription.transform, subscription.handler),
      pageSize: subscription.pageSize ?? DEFAULT_PAGE_SIZE,
      listed: false,
    };
    watch.add(subscriber);
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    if (!watch.remove(subscriber)) return;
    this.#watches.delete(key);
    await watch.done;
  }
}
