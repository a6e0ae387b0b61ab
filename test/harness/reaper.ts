// Finds and kills what a test run left behind, by the marker in each process's environment,
// so that a crashed test (or a killed jest worker) cannot leak apiservers or daprds.
import { readdirSync, readFileSync } from 'node:fs';
import { PROCESS_MARKER } from './process.js';

/** PIDs of live processes whose environment carries PROCESS_MARKER=<runId>. */
export function processesOfRun(runId: string): number[] {
  const needle = `${PROCESS_MARKER}=${runId}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (env.includes(needle) && !isZombie(entry)) pids.push(pid);
    } catch {
      // The process exited while we looked, or is not ours to read.
    }
  }
  return pids;
}

function isZombie(pid: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** SIGKILLs every process of the run; returns the PIDs it killed. */
export function reapRun(runId: string): number[] {
  const pids = processesOfRun(runId);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}
