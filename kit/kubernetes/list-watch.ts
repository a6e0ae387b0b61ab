// List, then watch, and keep the Kubernetes watch contract (client-go's reflector): list in
// pages; watch from the list's resourceVersion with bookmarks; resume from the last version seen
// when a watch ends; list again on 410 Gone; back off exponentially (1 s doubling to 30 s) on
// failures, resetting on any event. Each object is reduced by `transform` as it arrives, so only
// what the consumer keeps is held in memory, never a whole list of full objects. RawListWatch is
// the loop without the reduction, for a watch shared by several consumers (shared-watches.ts).
import type { Logger } from '../logger.js';
import { isGone, type KubeApi, type WatchEvent } from './client.js';

export const INITIAL_BACKOFF_MS = 1_000;
export const MAX_BACKOFF_MS = 30_000;
export const DEFAULT_PAGE_SIZE = 500;
/** Watches are ended by the server after 5–10 minutes (randomized, as client-go does). */
const MIN_WATCH_TIMEOUT_S = 300;
/** A watch that ends sooner than this without an event is relisted (client-go's threshold). */
const VERY_SHORT_WATCH_MS = 1_000;

export function nextBackoff(current: number): number {
  return Math.min(current * 2, MAX_BACKOFF_MS);
}

export interface ListWatchHandler<T> {
  /** The full set after a (re)list: replaces whatever was known. */
  replace(items: T[]): void;
  /** ADDED or MODIFIED. */
  upsert(item: T): void;
  deleted(item: T): void;
}

export type Delay = (ms: number, signal: AbortSignal) => Promise<void>;

export const abortableDelay: Delay = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Where and how to list and watch, whatever is done with the objects. */
export interface ListWatchTarget {
  readonly api: KubeApi;
  /** Collection path, e.g. `/api/v1/pods` (all namespaces). */
  readonly path: string;
  /** Extra list/watch parameters (labelSelector, fieldSelector). */
  readonly selectors?: Readonly<Record<string, string>>;
  /** Read at every list (a shared watch lists with its subscribers' smallest). */
  readonly pageSize?: number;
  /** Injected for tests, which must never sleep. */
  readonly delay?: Delay;
  readonly random?: () => number;
  readonly log?: Logger;
}

export interface ListWatchOptions<T> extends ListWatchTarget {
  /** Reduces an object to what is kept; undefined skips it. */
  readonly transform: (raw: unknown) => T | undefined;
  readonly handler: ListWatchHandler<T>;
}

/**
 * The objects as they arrive, before any reduction. A list hands its items one by one to the
 * accumulator `beginList` returned and commits them only when the list is complete; a list cut
 * short is dropped. A shared watch (shared-watches.ts) fans this out to its subscribers.
 */
export interface RawListWatchSink {
  beginList(): { add(raw: unknown): void; commit(): void };
  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', raw: unknown): void;
}

/** One handler's sink: each object reduced by `transform` as it arrives. */
export function typedSink<T>(
  transform: (raw: unknown) => T | undefined,
  handler: ListWatchHandler<T>,
): RawListWatchSink {
  return {
    beginList: () => {
      const items: T[] = [];
      return {
        add: (raw) => {
          const item = transform(raw);
          if (item !== undefined) items.push(item);
        },
        commit: () => handler.replace(items),
      };
    },
    event: (type, raw) => {
      const item = transform(raw);
      if (item === undefined) return;
      if (type === 'DELETED') handler.deleted(item);
      else handler.upsert(item);
    },
  };
}

interface ListPage {
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly unknown[];
}

interface WatchState {
  /** Where the next watch starts; undefined: list first. */
  version: string | undefined;
  backoff: number;
  /** The next list follows a watch that ended at once: it does not reset the backoff. */
  afterShortWatch: boolean;
}

function resourceVersionOf(raw: unknown): string | undefined {
  const rv = (raw as { metadata?: { resourceVersion?: unknown } } | null)?.metadata?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : undefined;
}

/** The list-and-watch loop over a raw sink; `relist()` makes it list again at once. */
export class RawListWatch {
  readonly #options: ListWatchTarget;
  readonly #sink: RawListWatchSink;
  /** The list or watch under way; aborted by `relist()`. */
  #current: AbortController | undefined;
  #relistWanted = false;

  constructor(options: ListWatchTarget, sink: RawListWatchSink) {
    this.#options = options;
    this.#sink = sink;
  }

  /**
   * Stops the list or watch under way and lists again (a shared watch's late subscriber needs
   * the whole set). A backoff delay after a failure is kept: the list follows it.
   */
  relist(): void {
    this.#relistWanted = true;
    this.#current?.abort();
  }

  /** Lists every page; resolves with the snapshot's resourceVersion. */
  async #list(signal: AbortSignal): Promise<string> {
    const { api, path, selectors } = this.#options;
    const list = this.#sink.beginList();
    let version: string | undefined;
    let next: string | undefined;
    do {
      const page = await api.request<ListPage>(path, {
        query: { ...selectors, limit: this.#options.pageSize ?? DEFAULT_PAGE_SIZE, continue: next },
        signal,
      });
      version ??= page.metadata?.resourceVersion;
      for (const raw of page.items ?? []) list.add(raw);
      next = page.metadata?.continue || undefined;
    } while (next !== undefined && !signal.aborted);
    // A list cut short is no snapshot: never hand it out.
    signal.throwIfAborted();
    list.commit();
    return version ?? '';
  }

  #apply(event: WatchEvent): void {
    if (event.type === 'BOOKMARK') return;
    this.#sink.event(event.type, event.object);
  }

  /** List if needed, then one watch; state is updated as events arrive, so it survives a failure. */
  async #cycle(state: WatchState, signal: AbortSignal, delay: Delay): Promise<void> {
    const { api, path, selectors } = this.#options;
    if (state.version === undefined) {
      state.version = await this.#list(signal);
      // A relist forced by a watch that ended at once keeps backing off, as client-go's does.
      if (!state.afterShortWatch) state.backoff = INITIAL_BACKOFF_MS;
      state.afterShortWatch = false;
    }
    const random = this.#options.random ?? Math.random;
    const query = {
      ...selectors,
      resourceVersion: state.version,
      allowWatchBookmarks: true,
      timeoutSeconds: Math.floor(MIN_WATCH_TIMEOUT_S * (1 + random())),
    };
    let events = 0;
    const onEvent = (event: WatchEvent): void => {
      events++;
      state.backoff = INITIAL_BACKOFF_MS;
      state.version = resourceVersionOf(event.object) ?? state.version;
      this.#apply(event);
    };
    const started = Date.now();
    await api.watch(path, query, onEvent, signal);
    if (events === 0 && !signal.aborted) {
      // A watch that ends without a single event (not even a bookmark) is not healthy: do not
      // reconnect in a tight loop. One that ended at once says the server cannot hold a watch
      // open (client-go's "very short watch"): list again, as client-go's reflector does, so
      // changes still arrive from servers that only answer lists well.
      if (Date.now() - started < VERY_SHORT_WATCH_MS) {
        state.version = undefined;
        state.afterShortWatch = true;
      }
      await delay(state.backoff, signal);
      state.backoff = nextBackoff(state.backoff);
    }
  }

  /** Lists and watches until `signal` aborts; failures are retried, never thrown. */
  async run(signal: AbortSignal): Promise<void> {
    const { path, log } = this.#options;
    const delay = this.#options.delay ?? abortableDelay;
    const state: WatchState = { version: undefined, backoff: INITIAL_BACKOFF_MS, afterShortWatch: false };
    while (!signal.aborted) {
      const current = new AbortController();
      const stop = (): void => current.abort();
      signal.addEventListener('abort', stop, { once: true });
      this.#current = current;
      try {
        if (this.#relistWanted) state.version = undefined;
        this.#relistWanted = false;
        await this.#cycle(state, current.signal, delay);
      } catch (err) {
        if (signal.aborted) break;
        if (current.signal.aborted) continue; // relist() cut it short
        if (isGone(err)) {
          log?.debug(`${path}: resourceVersion ${state.version ?? ''} expired; listing again`);
          state.version = undefined;
          continue;
        }
        log?.warn({ error: err }, `${path}: list/watch failed; retrying in ${state.backoff} ms`);
        await delay(state.backoff, signal);
        state.backoff = nextBackoff(state.backoff);
      } finally {
        signal.removeEventListener('abort', stop);
        this.#current = undefined;
      }
    }
  }
}

/** List, then watch, handing each object reduced by `transform` to one handler. */
export class ListWatch<T> {
  readonly #loop: RawListWatch;

  constructor(options: ListWatchOptions<T>) {
    this.#loop = new RawListWatch(options, typedSink(options.transform, options.handler));
  }

  /** Lists and watches until `signal` aborts; failures are retried, never thrown. */
  run(signal: AbortSignal): Promise<void> {
    return this.#loop.run(signal);
  }
}
