// Runs a compiled service binary (`node dist/<service>/main.js`) as a child process for tests:
// output captured in memory, exit awaited with deadlines, and every process tracked so that a
// test's afterEach/afterAll can kill what it started, by PID, even when an assertion failed.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from './http.js';
import { freePorts } from './ports.js';

export type ServiceName = 'sentry' | 'placement' | 'operator' | 'sidecar-injector';

/** The compiled entry point; this file is dist/kit/testing/…, the services are dist/<service>/. */
export function binaryPath(service: ServiceName): string {
  return fileURLToPath(new URL(`../../${service}/main.js`, import.meta.url));
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const live = new Set<ServiceProcess>();

export interface SpawnOptions {
  readonly args?: readonly string[];
  /** Added to (or, with undefined values, removed from) the test process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export class ServiceProcess {
  readonly pid: number;
  readonly exited: Promise<Exit>;
  #output = '';
  #exit: Exit | undefined;
  readonly #child: ChildProcess;

  private constructor(
    readonly service: ServiceName,
    child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`${service}: spawn failed`);
    this.pid = child.pid;
    this.#child = child;
    const collect = (chunk: Buffer): void => {
      this.#output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        resolve(this.#exit);
      });
    });
  }

  static spawn(service: ServiceName, options: SpawnOptions = {}): ServiceProcess {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    const child = spawn(process.execPath, [binaryPath(service), ...(options.args ?? [])], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new ServiceProcess(service, child);
    live.add(proc);
    return proc;
  }

  /** Everything written to stdout and stderr so far. */
  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The exit, or a rejection after `timeoutMs` (the process is then left running). */
  async waitForExit(timeoutMs = 10_000): Promise<Exit> {
    const cancel = new AbortController();
    const timer = sleep(timeoutMs, 'timeout' as const, { signal: cancel.signal }).catch(
      () => 'cancelled' as const,
    );
    const outcome = await Promise.race([this.exited, timer]);
    cancel.abort(); // no timer may outlive the wait, or jest would not exit
    if (outcome === 'timeout' || outcome === 'cancelled') {
      throw new Error(
        `${this.service} (pid ${this.pid}) did not exit within ${timeoutMs} ms\n${this.#output}`,
      );
    }
    return outcome;
  }

  /** Polls the process's /healthz until it answers 200; fails early if the process exits. */
  async waitForHealthy(healthzPort: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.service} exited before becoming healthy\n${this.#output}`);
      const status = await httpRequest(`http://127.0.0.1:${healthzPort}/healthz`, { timeoutMs: 1_000 }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      await sleep(50);
    }
    throw new Error(`${this.service} not healthy within ${timeoutMs} ms\n${this.#output}`);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.#child.kill(sig);
  }

  /** SIGKILL if still running; safe to call at any time. */
  kill(): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /** Resident set size in KiB from /proc (Linux), or undefined if unavailable. */
  rssKb(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return match?.[1] === undefined ? undefined : Number(match[1]);
    } catch {
      return undefined;
    }
  }
}

/** Kills every service process still running (call from afterEach/afterAll). */
export async function killAllServices(): Promise<void> {
  const running = [...live];
  for (const proc of running) proc.kill();
  await Promise.all(running.map((proc) => proc.exited));
}

export interface RunningService {
  readonly proc: ServiceProcess;
  readonly healthzPort: number;
  readonly metricsPort: number;
}

/**
 * Starts a service on free loopback ports (--healthz-port, --metrics-port, plus any `portFlags`
 * such as --port) and waits until /healthz is 200.
 */
export async function startHealthyService(
  service: ServiceName,
  options: SpawnOptions & { readonly portFlags?: readonly string[]; readonly timeoutMs?: number } = {},
): Promise<RunningService> {
  const portFlags = options.portFlags ?? [];
  const [healthzPort = 0, metricsPort = 0, ...others] = await freePorts(2 + portFlags.length);
  const args = [
    '--healthz-port',
    String(healthzPort),
    '--metrics-port',
    String(metricsPort),
    ...portFlags.flatMap((flag, i) => [flag, String(others[i])]),
    ...(options.args ?? []),
  ];
  const proc = ServiceProcess.spawn(service, { ...options, args });
  await proc.waitForHealthy(healthzPort, options.timeoutMs);
  return { proc, healthzPort, metricsPort };
}
