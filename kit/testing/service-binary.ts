// Our compiled service binaries (`node dist/<service>/main.js`) as test processes
// (managed-process.ts): where a binary is, starting one, and asking its /healthz.
import { fileURLToPath } from 'node:url';
import { httpRequest } from './http.js';
import { ManagedProcess } from './managed-process.js';
import { freePorts } from './ports.js';

export type ServiceName = 'sentry' | 'placement' | 'operator' | 'sidecar-injector' | 'all-in-one';

/** The compiled entry point; this file is dist/kit/testing/…, the services are dist/<service>/. */
export function binaryPath(service: ServiceName): string {
  return fileURLToPath(new URL(`../../${service}/main.js`, import.meta.url));
}

export interface ServiceStartOptions {
  readonly args?: readonly string[];
  /** Added to (or, with undefined values, removed from) the test process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where its output goes; in memory (`output`) without one. */
  readonly logFile?: string;
}

/** Starts `node dist/<service>/main.js <args>`. */
export function startService(
  service: ServiceName,
  options: ServiceStartOptions = {},
): Promise<ManagedProcess> {
  return ManagedProcess.start({
    name: service,
    command: process.execPath,
    args: [binaryPath(service), ...(options.args ?? [])],
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
  });
}

/** The status /healthz on `port` answers (0 when it does not answer). */
export async function healthz(port: number): Promise<number> {
  return httpRequest(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 1_000 }).then(
    (r) => r.status,
    () => 0,
  );
}

/** Waits for /healthz 200 on `port`; fails early, with the output's tail, if the process dies. */
export function waitHealthy(
  proc: ManagedProcess,
  port: number,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  return proc.waitUntilReady(async () => (await healthz(port)) === 200, {
    what,
    timeoutMs,
    intervalMs: 50,
    logLines: 60,
  });
}

/** The three ports every control-plane binary serves, as its flags. */
export function portFlags(ports: { port: number; healthzPort: number; metricsPort: number }): string[] {
  return [
    '--port',
    String(ports.port),
    '--healthz-port',
    String(ports.healthzPort),
    '--metrics-port',
    String(ports.metricsPort),
  ];
}

export interface RunningService {
  readonly proc: ManagedProcess;
  readonly healthzPort: number;
  readonly metricsPort: number;
}

/**
 * Starts a service on free loopback ports (--healthz-port, --metrics-port, plus any `portFlags`
 * such as --port) and waits until /healthz is 200.
 */
export async function startHealthyService(
  service: ServiceName,
  options: ServiceStartOptions & { readonly portFlags?: readonly string[]; readonly timeoutMs?: number } = {},
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
  const proc = await startService(service, { ...options, args });
  await waitHealthy(proc, healthzPort, `${service} to become healthy`, options.timeoutMs);
  return { proc, healthzPort, metricsPort };
}
