// The one runner for a child process a test owns (a service binary, daprd, kube-apiserver, …): its
// own process group, its output in a log file or in memory, a marker in its environment
// (DAPR_TS_TEST_PROCESS=<run id>) so a reaper can find it even if the test runner dies, waits
// that fail early with its output when it dies, and a stop() that escalates from SIGTERM to
// SIGKILL. Every live one is tracked, so afterEach/afterAll can kill what a test started.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from './wait.js';

/** Carries the run id from jest's global setup to its workers (and to the demo's children). */
export const RUN_MARKER = 'DAPR_TS_TEST_RUN';
export const runId: string = (process.env[RUN_MARKER] ??=
  `r${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);
/**
 * Set only on processes a test starts (and inherited by their children), never on jest's own
 * workers: the reaper kills by this one.
 */
export const PROCESS_MARKER = 'DAPR_TS_TEST_PROCESS';

export interface StartOptions {
  /** Short name for messages and the log file. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Where stdout and stderr go (appended); without one they are kept in memory (`output`). */
  readonly logFile?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Start from this process's environment (default), or from `env` alone (a container's). */
  readonly inheritEnv?: boolean;
  readonly cwd?: string;
}

/** Every live group this Node process started, so that exiting never leaves one behind. */
const live = new Set<ManagedProcess>();
process.on('exit', () => {
  for (const p of live) p.killGroupNow();
});

export class ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string | undefined;
  /** Resolves with the exit code (or the signal name) when the process has exited. */
  readonly exited: Promise<number | string>;
  #exitStatus: number | string | undefined;
  #memory = '';
  readonly #child: ChildProcess;

  private constructor(opts: StartOptions, child: ChildProcess) {
    this.name = opts.name;
    this.logFile = opts.logFile;
    this.#child = child;
    if (child.pid === undefined) throw new Error(`${opts.name}: spawn failed`);
    this.pid = child.pid;
    const collect = (chunk: Buffer): void => {
      this.#memory += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolveExit) => {
      const ended = (code: number | null, signal: NodeJS.Signals | null): void => {
        const status = code ?? signal ?? 'unknown';
        this.#exitStatus = status;
        live.delete(this);
        resolveExit(status);
      };
      // Piped output is complete only once the streams close.
      if (opts.logFile === undefined) child.on('close', ended);
      else child.on('exit', ended);
    });
  }

  static async start(opts: StartOptions): Promise<ManagedProcess> {
    const fd = opts.logFile === undefined ? 'pipe' : openSync(opts.logFile, 'a');
    try {
      const child = spawn(opts.command, [...opts.args], {
        cwd: opts.cwd,
        // Undefined values leave the variable out.
        env: { ...(opts.inheritEnv === false ? {} : process.env), ...opts.env, [PROCESS_MARKER]: runId },
        stdio: ['ignore', fd, fd],
        detached: true, // own process group: stop() signals the whole group
      });
      await new Promise<void>((ok, fail) => {
        child.once('spawn', ok);
        child.once('error', (err) =>
          fail(new Error(`${opts.name}: cannot start ${opts.command}: ${err.message}`)),
        );
      });
      const p = new ManagedProcess(opts, child);
      live.add(p);
      return p;
    } finally {
      if (typeof fd === 'number') closeSync(fd);
    }
  }

  get running(): boolean {
    return this.#exitStatus === undefined;
  }

  /** Everything written to stdout and stderr so far. */
  get output(): string {
    if (this.logFile === undefined) return this.#memory;
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '(no log)';
    }
  }

  /** The last lines of the output, for failure messages. */
  logTail(lines = 30): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  /** The exit status, or a rejection with the output after `timeoutMs` (the process keeps running). */
  async waitForExit(timeoutMs = 10_000): Promise<number | string> {
    const outcome = await Promise.race([
      this.exited,
      sleep(timeoutMs, undefined, { ref: false }).then(() => 'timeout' as const),
    ]);
    if (outcome !== 'timeout') return outcome;
    throw new Error(`${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms\n${this.output}`);
  }

  /**
   * Polls `ready` until it holds. Fails at once if the process exits meanwhile, and on failure
   * the error carries the exit status (if it died) and the last lines of its log.
   */
  async waitUntilReady(
    ready: () => Promise<boolean>,
    opts: {
      readonly what: string;
      readonly timeoutMs?: number;
      readonly intervalMs?: number;
      readonly logLines?: number;
    },
  ): Promise<void> {
    const died = new AbortController();
    void this.exited.then(() => died.abort());
    try {
      await waitFor(async () => (await ready()) || undefined, { ...opts, signal: died.signal });
    } catch (err) {
      const why = this.running
        ? (err as Error).message
        : `${this.name} exited with ${String(await this.exited)}`;
      const from = this.logFile ?? 'its output';
      throw new Error(`${why}\n--- last lines of ${from} ---\n${this.logTail(opts.logLines)}`, {
        cause: err,
      });
    }
  }

  /** SIGTERM to the group; SIGKILL after `graceMs`. Resolves once the process has exited. */
  async stop(graceMs = 10_000): Promise<number | string> {
    if (!this.running) return this.exited;
    this.signalGroup('SIGTERM');
    const outcome = await Promise.race([
      this.exited,
      sleep(graceMs, undefined, { ref: false }).then(() => 'timeout' as const),
    ]);
    if (outcome === 'timeout') this.killGroupNow();
    const status = await this.exited;
    // Children of the leader that ignored SIGTERM must not outlive it.
    this.signalGroup('SIGKILL');
    return status;
  }

  killGroupNow(): void {
    this.signalGroup('SIGKILL');
  }

  /**
   * One signal to the whole group. The leader is signalled directly only when the group is
   * gone (it may have left it): Dapr's services, like upstream's, treat a second SIGTERM as
   * "exit 1 now", so a signal must never arrive twice.
   */
  signalGroup(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      if (this.running) this.#child.kill(sig);
    }
  }
}

/** SIGKILLs every process this test file started and still running (for afterEach/afterAll). */
export async function killAllProcesses(): Promise<void> {
  const running = [...live];
  for (const p of running) p.killGroupNow();
  await Promise.all(running.map((p) => p.exited));
}
