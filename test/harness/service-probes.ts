// What a test asks of a running service besides /healthz (kit/testing/service-binary.ts): a
// /metrics scrape and one series of it as a number, and the process's memory.
import { readFileSync } from 'node:fs';
import { httpRequest } from '../../kit/testing/http.js';

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

/** Resident set size (VmRSS), or its peak (VmHWM), in MiB; NaN once the process is gone. */
export function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
  } catch {
    return NaN;
  }
}
