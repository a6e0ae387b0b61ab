// What a test asks of a running service: /healthz (once, or until 200), a /metrics scrape and one
// series of it as a number, and the process's memory.
import { readFileSync } from 'node:fs';
import { httpRequest } from '../../kit/testing/http.js';
import type { ManagedProcess } from './process.js';

/** Waits for /healthz 200 on `port`; fails early, with the log's tail, if the process dies. */
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

export async function healthz(port: number): Promise<number> {
  return httpRequest(`http://127.0.0.1:${port}/healthz`, { timeoutMs: 1_000 }).then(
    (r) => r.status,
    () => 0,
  );
}

/** The value of one series in a Prometheus scrape (0 when absent). */
export function metricValue(scrape: string, series: string): number {
  for (const line of scrape.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

export async function scrape(metricsPort: number): Promise<string> {
  return (await httpRequest(`http://127.0.0.1:${metricsPort}/metrics`)).body;
}

/** VmRSS of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  return Math.round((kb / 1024) * 10) / 10;
}
