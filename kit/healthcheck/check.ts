// The `helm test` check of the chart: GET each named URL until it answers 2xx or a deadline
// passes, and report every target. Pure of process state: the fetch, clock and sleep are injected.

export interface Target {
  readonly name: string;
  readonly url: string;
}

export interface CheckOptions {
  /** How long each target may take to become healthy. */
  readonly deadlineMs: number;
  readonly intervalMs: number;
  /** Timeout of one request. */
  readonly requestTimeoutMs: number;
  readonly fetch: (url: string, init: { signal: AbortSignal }) => Promise<{ status: number }>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export interface TargetResult {
  readonly name: string;
  readonly url: string;
  readonly healthy: boolean;
  /** The last status or error, for an unhealthy target. */
  readonly last?: string;
}

/** Parses `name=url` arguments; throws on anything else so that a bad chart fails loudly. */
export function parseTargets(args: readonly string[]): Target[] {
  if (args.length === 0) throw new Error('no targets: give name=url arguments');
  return args.map((arg) => {
    const eq = arg.indexOf('=');
    const name = arg.slice(0, eq);
    const url = arg.slice(eq + 1);
    if (eq <= 0 || !/^https?:\/\//.test(url)) throw new Error(`not a name=http(s)://… target: ${arg}`);
    return { name, url };
  });
}

async function checkOne(target: Target, opts: CheckOptions): Promise<TargetResult> {
  const deadline = opts.now() + opts.deadlineMs;
  let last: string;
  for (;;) {
    try {
      const res = await opts.fetch(target.url, { signal: AbortSignal.timeout(opts.requestTimeoutMs) });
      if (res.status >= 200 && res.status < 300) return { ...target, healthy: true };
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (opts.now() >= deadline) return { ...target, healthy: false, last };
    await opts.sleep(opts.intervalMs);
  }
}

/** Checks all targets at once (a fresh install may still be starting); results in input order. */
export function checkAll(targets: readonly Target[], opts: CheckOptions): Promise<TargetResult[]> {
  return Promise.all(targets.map((t) => checkOne(t, opts)));
}
