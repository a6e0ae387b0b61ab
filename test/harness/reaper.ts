// Finds and kills what a test run left behind, by the marker in each process's environment,
// so that a crashed test (or a killed jest worker) cannot leak apiservers or daprds.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { linkAliasPrefix, netnsPrefix } from '../node-agent/names.js';
import { PROCESS_MARKER } from '../../kit/testing/managed-process.js';

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

// ---- network objects of node agents (test/node-agent) --------------------------------------

const NETNS_DIR = '/run/netns';
const ETC_NETNS_DIR = '/etc/netns';

function ipTool(): string | undefined {
  return ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => existsSync(p));
}

function entriesWithPrefix(dir: string, prefix: string): string[] {
  try {
    return readdirSync(dir).filter((d) => d.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Links (bridges, veths) whose alias marks them as the run's. */
function linksOfRun(ip: string, runId: string): string[] {
  try {
    const links = JSON.parse(execFileSync(ip, ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{
      ifname: string;
      ifalias?: string;
    }>;
    return links.filter((l) => l.ifalias?.startsWith(linkAliasPrefix(runId)) === true).map((l) => l.ifname);
  } catch {
    return [];
  }
}

export interface NetworkLeftovers {
  readonly netns: string[];
  readonly links: string[];
  readonly etcNetns: string[];
}

/** Network namespaces, links and /etc/netns dirs a run's node agents left behind. */
export function networkLeftovers(runId: string): NetworkLeftovers {
  const ip = ipTool();
  return {
    netns: entriesWithPrefix(NETNS_DIR, netnsPrefix(runId)),
    links: ip === undefined ? [] : linksOfRun(ip, runId),
    etcNetns: entriesWithPrefix(ETC_NETNS_DIR, netnsPrefix(runId)),
  };
}

/** Removes what networkLeftovers() finds; returns what it found. */
export function reapNetwork(runId: string): NetworkLeftovers {
  const found = networkLeftovers(runId);
  const ip = ipTool();
  if (ip !== undefined) {
    for (const ns of found.netns) {
      try {
        execFileSync(ip, ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    for (const link of found.links) {
      try {
        execFileSync(ip, ['link', 'del', link], { stdio: 'ignore' });
      } catch {
        // a veth goes with its namespace
      }
    }
  }
  for (const d of found.etcNetns) rmSync(`${ETC_NETNS_DIR}/${d}`, { recursive: true, force: true });
  if (found.etcNetns.length > 0) {
    try {
      rmdirSync(ETC_NETNS_DIR); // as PodNetwork.destroy() does: only when nothing else is in it
    } catch {
      // not empty, or gone
    }
  }
  return found;
}
