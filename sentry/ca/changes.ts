// Noticing that the issuer credentials changed, and batching the notices (docs/contracts/sentry.md §5 "Reload
// and rotation"): upstream waits 2 s after a change so that the several writes of one rotation
// cause one reload. Self-hosted, the credential directories are watched; in Kubernetes the
// Secret is polled through the API (the chart's RBAC allows get and update on it, not watch).
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../kit/logger.js';
import { untilAborted } from '../../kit/runner.js';

/** Upstream's batching window. */
export const RELOAD_BATCH_MS = 2_000;
/** How often the Kubernetes Secret is read to look for a rotation. */
export const SECRET_POLL_INTERVAL_MS = 5_000;
/** One write shows up as several file events; events for one name this close are one change. */
const FILE_EVENT_COALESCE_MS = 5;

/** Runs until `signal` aborts, calling `notify` for each change it sees (with what changed). */
export type ChangeSource = (notify: (what: string) => void, signal: AbortSignal) => Promise<void>;

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ChangeBatcherOptions {
  /** After the first change, how long to wait for more before acting. */
  readonly windowMs?: number;
  /** Once per batch, when its window closes. */
  readonly onBatch: () => void;
  readonly timers?: Timers;
}

/** Collapses the changes within a window after the first one into one call. */
export class ChangeBatcher {
  readonly #options: ChangeBatcherOptions;
  readonly #timers: Timers;
  #pending: unknown;

  constructor(options: ChangeBatcherOptions) {
    this.#options = options;
    this.#timers = options.timers ?? realTimers;
  }

  /** True while a window is open. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  notify(): void {
    if (this.#pending !== undefined) return;
    this.#pending = this.#timers.setTimeout(() => {
      this.#pending = undefined;
      this.#options.onBatch();
    }, this.#options.windowMs ?? RELOAD_BATCH_MS);
  }

  stop(): void {
    if (this.#pending !== undefined) this.#timers.clearTimeout(this.#pending);
    this.#pending = undefined;
  }
}

/**
 * Watches directories (not files: Kubernetes swaps mounted files through symlinks, so the
 * file's inode changes). A directory that does not exist is an error, as upstream.
 */
export function watchDirectories(directories: readonly string[], log?: Logger): ChangeSource {
  return async (notify, signal) => {
    const watchers: FSWatcher[] = [];
    const timers = new Map<string, NodeJS.Timeout>();
    try {
      for (const dir of directories) {
        let watcher: FSWatcher;
        try {
          watcher = watch(dir, { persistent: false });
        } catch (err) {
          throw new Error(`failed to watch ${dir}: ${(err as Error).message}`, { cause: err });
        }
        watchers.push(watcher);
        watcher.on('change', (_event, file) => {
          const name = `${dir}/${String(file ?? '')}`;
          clearTimeout(timers.get(name));
          timers.set(
            name,
            setTimeout(() => {
              timers.delete(name);
              notify(name);
            }, FILE_EVENT_COALESCE_MS),
          );
        });
        watcher.on('error', (err) => log?.error({ error: err }, `Watching ${dir} failed`));
      }
      log?.info(`Starting watch on filesystem directories: [${directories.join(' ')}]`);
      await untilAborted(signal);
    } finally {
      for (const w of watchers) w.close();
      for (const t of timers.values()) clearTimeout(t);
    }
  };
}

export interface PollOptions {
  /** What the store holds now. */
  readonly current: () => Promise<string>;
  /** What the CA was last loaded from. */
  readonly loaded: () => string;
  readonly intervalMs?: number;
  readonly delay: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly what: string;
  readonly log?: Logger;
}

/**
 * Polls a fingerprint; notifies once per new stored value that differs from what is loaded (a
 * bundle that cannot be loaded is not reported again until it changes once more).
 */
export function pollForChanges(options: PollOptions): ChangeSource {
  return async (notify, signal) => {
    let lastSeen = options.loaded();
    while (!signal.aborted) {
      await options.delay(options.intervalMs ?? SECRET_POLL_INTERVAL_MS, signal);
      if (signal.aborted) break;
      let current: string;
      try {
        current = await options.current();
      } catch (err) {
        options.log?.warn({ error: err }, `Reading ${options.what} to look for changes failed`);
        continue;
      }
      if (current === lastSeen) continue;
      lastSeen = current;
      if (current !== options.loaded()) notify(options.what);
    }
  };
}
