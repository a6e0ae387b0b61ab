// The cluster's DNS domain, for the scheduler's DNS SANs (docs/contracts/sentry.md §3): in Kubernetes mode
// upstream resolves `kubernetes.default.svc` through the pod's resolver (2 s timeout) and keeps
// what follows that name in the canonical answer; when that fails it uses the trust domain.
// Node's resolver neither applies resolv.conf's search list nor reports a canonical name for an
// A record, so the search suffixes are tried here explicitly, in order, as the pod's resolver
// would: the first `kubernetes.default.svc.<suffix>` that resolves gives `<suffix>`.
import { readFile } from 'node:fs/promises';
import { Resolver } from 'node:dns/promises';
import { orAborted } from '../kit/runner.js';

export const API_SERVICE_NAME = 'kubernetes.default.svc';
const LOOKUP_TIMEOUT_MS = 2_000;

/** The `search` suffixes of a resolv.conf (the last search line wins, as in glibc). */
export function searchDomains(resolvConf: string): string[] {
  let domains: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const [keyword, ...rest] = line.trim().split(/\s+/);
    if (keyword === 'search' || keyword === 'domain') domains = rest.filter((d) => d !== '');
  }
  return domains.map((d) => d.replace(/\.$/, ''));
}

export interface ClusterDomainLookup {
  readonly resolvConf: () => Promise<string>;
  /** Resolves when the fully-qualified name has an address; rejects otherwise. */
  readonly resolves: (fqdn: string, signal: AbortSignal) => Promise<void>;
  readonly timeoutMs?: number;
}

const systemLookup: ClusterDomainLookup = {
  resolvConf: () => readFile('/etc/resolv.conf', 'utf8'),
  resolves: async (fqdn) => {
    const resolver = new Resolver({ timeout: LOOKUP_TIMEOUT_MS, tries: 1 });
    await resolver.resolve4(`${fqdn}.`).catch(() => resolver.resolve6(`${fqdn}.`));
  },
};

/** The cluster domain, or undefined when it cannot be found within the timeout. */
export async function clusterDomainFromDns(
  lookup: ClusterDomainLookup = systemLookup,
): Promise<string | undefined> {
  const deadline = AbortSignal.timeout(lookup.timeoutMs ?? LOOKUP_TIMEOUT_MS);
  let suffixes: string[];
  try {
    suffixes = searchDomains(await lookup.resolvConf());
  } catch {
    return undefined;
  }
  for (const suffix of suffixes) {
    if (deadline.aborted) return undefined;
    const found = await orAborted(
      lookup.resolves(`${API_SERVICE_NAME}.${suffix}`, deadline).then(
        () => true,
        () => false,
      ),
      deadline,
    );
    if (found === true) return suffix;
  }
  return undefined;
}
