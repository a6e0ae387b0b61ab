// Puts the node agent's kube-proxy rules (service-proxy.ts) into pods' network namespaces:
// a route for the Service CIDR (pods have no default route, and the kernel picks a route before
// the output hook translates the address) and the nftables table, loaded with `nft -f` in one
// transaction. Then the connections whose endpoint left its Service are deleted from the
// namespace's conntrack table: their next packet is translated afresh, to a ready endpoint
// (which answers a reset: it has no such connection) or to none (refused), so the client sees
// the connection die instead of talking to a pod that is no longer behind the Service, or
// hanging on one that is gone. Loads into one namespace run one after another, in the order
// they were asked for; a state equal to the last one loaded there is skipped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from '../deps/paths.js';
import { cmd, mustCmd } from './cmd.js';
import { staleFlows } from './service-proxy.js';

const NETNS_DIR = '/run/netns';
const HOW =
  'run `npm run deps` (test/deps/fetch.sh nftables unpacks nft and conntrack into the test cache) ' +
  'or apt-get install nftables conntrack';

/** A tool from the test cache (fetch.sh unpacks Debian's package there), else the system's. */
function findTool(name: string): string | undefined {
  return [join(binDir, name), `/usr/sbin/${name}`, `/sbin/${name}`, `/usr/bin/${name}`].find((p) =>
    existsSync(p),
  );
}

/** nft, or an error that says how to get it: without it no ClusterIP works. */
export function findNft(): string {
  const nft = findTool('nft');
  if (nft === undefined)
    throw new Error(`the node agent needs nftables (\`nft\`) for Service ClusterIPs: ${HOW}`);
  return nft;
}

/** conntrack, or an error that says how to get it: without it stale connections linger. */
export function findConntrack(): string {
  const ct = findTool('conntrack');
  if (ct === undefined)
    throw new Error(`the node agent needs \`conntrack\` to end connections to removed endpoints: ${HOW}`);
  return ct;
}

/** What one namespace gets: the nft script and the translations it allows (flowKeys()). */
export interface ProxyState {
  readonly rules: string;
  readonly flows: readonly string[];
}

export class ProxyLoader {
  readonly #chains = new Map<string, Promise<void>>();
  readonly #loaded = new Map<string, ProxyState>();

  constructor(
    readonly tools: { readonly nft: string; readonly conntrack: string },
    readonly serviceCidr: string,
  ) {}

  /** A new namespace: the Service CIDR route, then the rules (before any container starts). */
  async prepare(netns: string, state: () => ProxyState): Promise<void> {
    await mustCmd('ip', ['-n', netns, 'route', 'add', this.serviceCidr, 'dev', 'eth0']);
    await this.load(netns, state);
  }

  /**
   * Loads what `state()` returns when the namespace's turn comes (so the newest state wins even
   * when two loads were asked for at once), then ends the connections it no longer allows.
   */
  load(netns: string, state: () => ProxyState): Promise<void> {
    const next = (this.#chains.get(netns) ?? Promise.resolve()).then(async () => {
      if (!existsSync(join(NETNS_DIR, netns))) return; // the pod is being torn down
      const s = state();
      const prev = this.#loaded.get(netns);
      if (prev?.rules !== s.rules)
        await mustCmd('ip', ['netns', 'exec', netns, this.tools.nft, '-f', '-'], { input: s.rules });
      this.#loaded.set(netns, s);
      for (const f of staleFlows(prev?.flows ?? [], s.flows)) {
        // Exit status 1 with "0 flow entries": nothing to delete, which is fine.
        await cmd('ip', ['netns', 'exec', netns, this.tools.conntrack, '-D', '-d', f.vip, '-r', f.endpoint]);
      }
    });
    this.#chains.set(
      netns,
      next.catch(() => undefined),
    );
    return next;
  }

  /** The namespace is gone (with its rules and conntrack table): drop what is remembered of it. */
  forget(netns: string): void {
    this.#chains.delete(netns);
    this.#loaded.delete(netns);
  }
}
