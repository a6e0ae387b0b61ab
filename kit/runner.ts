// The one lifecycle every long-lived part follows: `run(signal)` works until the signal aborts
// and then returns (or rejects on failure). A group starts its parts together; when one of them
// ends for any reason, or the outer signal aborts, the others are aborted and awaited, with a
// deadline so that a stuck part cannot hold the process forever.

export type RunFn = (signal: AbortSignal) => Promise<void>;

export interface Runner {
  /** For error messages ("metrics-server: listen tcp :9090: address already in use"). */
  readonly name: string;
  readonly run: RunFn;
  /**
   * Set on a part that runs a group of its own (a whole service beside the observability
   * servers): its failures already name the inner part, and pass through without this name.
   */
  readonly transparent?: boolean;
}

export interface RunGroupOptions {
  /** How long parts may take to stop once the group is stopping. */
  readonly shutdownTimeoutMs?: number;
}

/** Resolves when `signal` aborts (at once if it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Waits for `work` or for `signal` to abort, whichever comes first: resolves with the work's
 * value, or with undefined once the signal aborts (at once if it already has); rejects if the
 * work rejects first. The abort listener goes when the race is decided, so a loop may wait on
 * one signal many times.
 */
export function orAborted<T>(work: PromiseLike<T>, signal: AbortSignal): Promise<T | undefined> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/** A part failed; `cause` is what it threw. */
export class RunnerError extends Error {
  constructor(
    readonly runner: string,
    cause: unknown,
  ) {
    super(`${runner}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RunnerError';
  }
}

export class ShutdownTimeoutError extends Error {
  constructor(readonly pending: readonly string[]) {
    super(`runners did not stop in time: ${pending.join(', ')}`);
    this.name = 'ShutdownTimeoutError';
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Runs all parts until `signal` aborts or any part ends. Resolves when every part stopped
 * cleanly; rejects with the failure (an AggregateError if several failed) or on timeout.
 */
export async function runGroup(
  runners: readonly Runner[],
  signal: AbortSignal,
  options: RunGroupOptions = {},
): Promise<void> {
  const stop = new AbortController();
  const forward = (): void => stop.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  if (signal.aborted) forward();

  const failures: Error[] = [];
  const pending = new Set(runners.map((r) => r.name));
  const settled = runners.map(async (r) => {
    try {
      await r.run(stop.signal);
    } catch (err) {
      failures.push(r.transparent === true && err instanceof Error ? err : new RunnerError(r.name, err));
    } finally {
      pending.delete(r.name);
      // Any part ending (even cleanly) ends the group, as with Dapr's runner manager.
      stop.abort();
    }
  });

  try {
    await untilAborted(stop.signal);
    const outcome = await withDeadline(Promise.all(settled), options.shutdownTimeoutMs ?? 10_000);
    const [first, ...more] = failures;
    if (first !== undefined && more.length === 0) throw first;
    if (more.length > 0) throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
    if (outcome === 'timeout') throw new ShutdownTimeoutError([...pending].sort());
  } finally {
    signal.removeEventListener('abort', forward);
  }
}
