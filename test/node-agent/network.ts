// The pod network of a node agent: a Linux bridge with a /24 of 198.18.0.0/16 (RFC 2544's
// benchmarking range, never routed), the host at .1 and one network namespace per pod joined
// to the bridge by a veth pair. Pods get no default route: they reach the host (the apiserver)
// and each other, nothing else. Nothing here touches the host's routing, forwarding or
// firewall; every object is removed by destroy() or, after a crash, by the run's reaper.
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { cmd, ipBatch, mustCmd } from './cmd.js';
import { POD_RANGE_PREFIX, bridgeName, linkAliasPrefix, podNetnsName, vethName } from './names.js';

export const ETC_NETNS = '/etc/netns';

export interface Sandbox {
  /** Network namespace name (`ip netns exec <netns>`). */
  readonly netns: string;
  readonly ip: string;
  /** Host end of the veth pair. */
  readonly hostVeth: string;
  /** /etc/netns/<netns>: its `hosts` and `resolv.conf` replace /etc's inside the namespace. */
  readonly etcDir: string;
  readonly createdAt: number;
  /** Milliseconds the namespace took to set up. */
  readonly setupMs: number;
}

export interface PodNetworkOptions {
  readonly runId: string;
  /** Names this agent in link aliases. */
  readonly tag: string;
  /** Force a subnet index (198.18.<index>.0/24); otherwise a free one is claimed. */
  readonly index?: number;
}

/** The third octets in use on this host (addresses and routes in 198.18.0.0/16). */
async function usedIndexes(): Promise<Set<number>> {
  const used = new Set<number>();
  const text =
    (await mustCmd('ip', ['-4', '-o', 'addr', 'show'])) +
    (await mustCmd('ip', ['-4', 'route', 'show', 'table', 'all']));
  const re = new RegExp(`\\b${POD_RANGE_PREFIX.replace('.', '\\.')}\\.(\\d+)\\.`, 'g');
  for (const m of text.matchAll(re)) used.add(Number(m[1]));
  return used;
}

function writeSysctl(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    // the knob does not exist on this kernel (e.g. IPv6 off): nothing to turn off
  }
}

export class PodNetwork {
  readonly bridge: string;
  readonly hostIp: string;
  readonly cidr: string;
  readonly alias: string;
  readonly #sandboxes = new Map<string, Sandbox>();
  readonly #usedIps = new Set<number>();
  #nextHost = 2;
  #seq = 0;
  #destroyed = false;

  private constructor(
    readonly runId: string,
    readonly index: number,
    tag: string,
  ) {
    this.bridge = bridgeName(index);
    this.hostIp = `${POD_RANGE_PREFIX}.${index}.1`;
    this.cidr = `${POD_RANGE_PREFIX}.${index}.0/24`;
    this.alias = `${linkAliasPrefix(runId)}-${tag}`;
  }

  /**
   * Claims a free /24 by creating its bridge: `ip link add` fails if another agent (of any run)
   * holds the same name, so two agents never share a subnet.
   */
  static async create(opts: PodNetworkOptions): Promise<PodNetwork> {
    const used = await usedIndexes();
    const candidates =
      opts.index !== undefined ? [opts.index] : shuffled(range(2, 254)).filter((i) => !used.has(i));
    for (const index of candidates) {
      const r = await cmd('ip', ['link', 'add', bridgeName(index), 'type', 'bridge']);
      if (r.code !== 0) {
        if (/exists/i.test(r.stderr) && opts.index === undefined) continue;
        throw new Error(`cannot create bridge ${bridgeName(index)}: ${r.stderr.trim()}`);
      }
      const net = new PodNetwork(opts.runId, index, opts.tag);
      try {
        writeSysctl(`/proc/sys/net/ipv6/conf/${net.bridge}/disable_ipv6`, '1');
        await ipBatch([
          `link set ${net.bridge} alias ${net.alias}`,
          `addr add ${net.hostIp}/24 dev ${net.bridge}`,
          `link set ${net.bridge} up`,
        ]);
      } catch (err) {
        await cmd('ip', ['link', 'del', net.bridge]);
        throw err;
      }
      return net;
    }
    throw new Error(`no free subnet in ${POD_RANGE_PREFIX}.0.0/16 for a pod bridge`);
  }

  get sandboxes(): readonly Sandbox[] {
    return [...this.#sandboxes.values()];
  }

  #allocateIp(): number {
    for (let i = 0; i < 253; i++) {
      const host = this.#nextHost;
      this.#nextHost = host >= 254 ? 2 : host + 1;
      if (!this.#usedIps.has(host)) {
        this.#usedIps.add(host);
        return host;
      }
    }
    throw new Error(`the pod subnet ${this.cidr} is full`);
  }

  /** A new network namespace with an address on the bridge, loopback up, and its hosts file. */
  async createSandbox(hostsFor: (ip: string) => string): Promise<Sandbox> {
    if (this.#destroyed) throw new Error('the pod network is destroyed');
    const started = Date.now();
    const seq = ++this.#seq;
    const netns = podNetnsName(this.runId, this.index, seq);
    const hostVeth = vethName(this.index, seq);
    const host = this.#allocateIp();
    const ip = `${POD_RANGE_PREFIX}.${this.index}.${host}`;
    const etcDir = join(ETC_NETNS, netns);
    try {
      mkdirSync(etcDir, { recursive: true });
      writeFileSync(join(etcDir, 'hosts'), hostsFor(ip));
      writeFileSync(join(etcDir, 'resolv.conf'), RESOLV_CONF);
      await mustCmd('ip', ['netns', 'add', netns]);
      await mustCmd('ip', ['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      writeSysctl(`/proc/sys/net/ipv6/conf/${hostVeth}/disable_ipv6`, '1');
      await ipBatch([
        `link set ${hostVeth} alias ${this.alias}`,
        `link set ${hostVeth} master ${this.bridge}`,
        `link set ${hostVeth} up`,
      ]);
      // Inside: no IPv6 on eth0 (no router solicitations on the bridge), unprivileged ports from 0
      // as container runtimes set them, then address and links up. No default route.
      await mustCmd('ip', [
        'netns',
        'exec',
        netns,
        'sh',
        '-c',
        'echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 2>/dev/null; echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start',
      ]);
      await ipBatch([`addr add ${ip}/24 dev eth0`, 'link set eth0 up', 'link set lo up'], netns);
    } catch (err) {
      await this.#teardown(netns, hostVeth, etcDir);
      this.#usedIps.delete(host);
      throw err;
    }
    const sb: Sandbox = { netns, ip, hostVeth, etcDir, createdAt: started, setupMs: Date.now() - started };
    this.#sandboxes.set(netns, sb);
    return sb;
  }

  async destroySandbox(sb: Sandbox): Promise<void> {
    if (!this.#sandboxes.delete(sb.netns)) return;
    await this.#teardown(sb.netns, sb.hostVeth, sb.etcDir);
    this.#usedIps.delete(Number(sb.ip.split('.')[3]));
  }

  async #teardown(netns: string, hostVeth: string, etcDir: string): Promise<void> {
    // Deleting the namespace destroys the veth pair with it; delete the host end explicitly too
    // in case a process still pins the namespace.
    await cmd('ip', ['netns', 'del', netns]);
    await cmd('ip', ['link', 'del', hostVeth]);
    rmSync(etcDir, { recursive: true, force: true });
  }

  /** Tears down every sandbox and the bridge; removes /etc/netns if it is left empty. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const sb of [...this.#sandboxes.values()]) await this.destroySandbox(sb);
    await cmd('ip', ['link', 'del', this.bridge]);
    try {
      rmdirSync(ETC_NETNS);
    } catch {
      // not empty (another agent's pods) or already gone
    }
  }
}

/**
 * Pods resolve names only through their hosts file: DNS goes to the pod's own loopback, where
 * nothing answers, so a lookup of an unknown name fails at once and never leaves the namespace.
 */
export const RESOLV_CONF = 'nameserver 127.0.0.1\noptions ndots:1 timeout:1 attempts:1\n';

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function shuffled<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/**
 * Rewrites a hosts file in place. `ip netns exec` bind-mounts the file over /etc/hosts, which
 * pins its inode: a rename would leave running containers reading the old file. Writing at
 * offset 0 without truncating first (padding with blank lines up to the old length) means a
 * reader never sees an empty file.
 */
export function rewriteInPlace(path: string, content: string): boolean {
  let old = '';
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    // new file
  }
  const trimmed = old.replace(/\n+$/, '\n');
  if (trimmed === content) return false;
  const pad = old.length > content.length ? '\n'.repeat(old.length - content.length) : '';
  if (!existsSync(path)) {
    writeFileSync(path, content);
    return true;
  }
  writeFileSync(path, content + pad, { flag: 'r+' });
  return true;
}
