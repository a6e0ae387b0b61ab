// Puts the node agent's kube-proxy rules (service-proxy.ts) into pods' network namespaces:
// a route for the Service CIDR (pods have no default route, and the kernel picks a route before
// the output hook translates the address) and the nftables table, loaded with `nft -f` in one
// transaction. Loads into one namespace run one after another, in the order they were asked for,
// and a script equal to the last one loaded there is skipped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from '../deps/paths.js';
import { mustCmd } from './cmd.js';

/**
 * nft from the test cache (`test/deps/fetch.sh nftables` unpacks Debian's package there), else
 * the system's; a clear error when neither exists.
 */
export function findNft(): string {
  const candidates = [join(binDir, 'nft'), '/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined)
    throw new Error(
      'the node agent needs nftables (`nft`) for Service ClusterIPs: run `npm run deps` ' +
        '(test/deps/fetch.sh nftables unpacks it into the test cache) or apt-get install nftables',
    );
  return found;
}

export class ProxyLoader {
  readonly #chains = new Map<string, Promise<void>>();
  readonly #loaded = new Map<string, string>();

  constructor(
    readonly nftPath: string,
    readonly serviceCidr: string,
  ) {}

  /** A new namespace: the Service CIDR route, then the rules (before any container starts). */
  async prepare(netns: string, script: () => string): Promise<void> {
    await mustCmd('ip', ['-n', netns, 'route', 'add', this.serviceCidr, 'dev', 'eth0']);
    await this.load(netns, script);
  }

  /**
   * Loads the script `script()` returns when the namespace's turn comes (so the newest state
   * wins even when two loads were asked for at once); skips it when unchanged.
   */
  load(netns: string, script: () => string): Promise<void> {
    const next = (this.#chains.get(netns) ?? Promise.resolve()).then(async () => {
      const text = script();
      if (this.#loaded.get(netns) === text) return;
      await mustCmd('ip', ['netns', 'exec', netns, this.nftPath, '-f', '-'], { input: text });
      this.#loaded.set(netns, text);
    });
    this.#chains.set(
      netns,
      next.catch(() => undefined),
    );
    return next;
  }

  /** The namespace is gone (with its rules): drop what is remembered of it. */
  forget(netns: string): void {
    this.#chains.delete(netns);
    this.#loaded.delete(netns);
  }
}
