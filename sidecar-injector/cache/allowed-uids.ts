// The UID half of the caller allow list (docs/contracts/injector-and-chart.md §1.4): the UIDs of the allowed
// service accounts that exist when the injector starts. A request whose userInfo.uid is one of
// them is authorised even if its username does not match. Upstream builds the list once, from
// the exact `namespace:name` entries (built-ins plus ALLOWED_SERVICE_ACCOUNTS, untrimmed), and
// exits when the list fails; ours logs a warning and relies on the name match alone, which
// already covers every one of these accounts.
import type { KubeApi } from '../../kit/kubernetes/client.js';
import type { Logger } from '../../kit/logger.js';
import { BUILT_IN_ALLOWED_SERVICE_ACCOUNTS } from '../patcher/decisions.js';

const LIST_TIMEOUT_MS = 10_000;

interface ServiceAccountList {
  readonly items?: readonly { readonly metadata?: { namespace?: string; name?: string; uid?: string } }[];
}

/** The `namespace:name` entries whose UIDs are looked up, as upstream splits them. */
export function uidLookupEntries(allowedServiceAccounts: string): string[] {
  const extra = allowedServiceAccounts === '' ? [] : allowedServiceAccounts.split(',');
  return [...extra, ...BUILT_IN_ALLOWED_SERVICE_ACCOUNTS];
}

/** UIDs of the listed service accounts that exist; logs the entries that do not. */
export function allowedUids(list: ServiceAccountList, entries: readonly string[], log?: Logger): Set<string> {
  const byName = new Map<string, string>();
  for (const sa of list.items ?? []) {
    const m = sa.metadata;
    if (m?.namespace !== undefined && m.name !== undefined && m.uid !== undefined) {
      byName.set(`${m.namespace}:${m.name}`, m.uid);
    }
  }
  const uids = new Set<string>();
  for (const entry of entries) {
    const [namespace, name] = entry.split(':');
    const uid = byName.get(`${namespace ?? ''}:${name ?? ''}`);
    if (uid === undefined) log?.warn(`Unable to get SA ${entry} UID`);
    else uids.add(uid);
  }
  return uids;
}

export async function loadAllowedUids(
  api: KubeApi,
  allowedServiceAccounts: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<Set<string>> {
  try {
    const list = await api.request<ServiceAccountList>('/api/v1/serviceaccounts', {
      timeoutMs: LIST_TIMEOUT_MS,
      signal,
    });
    return allowedUids(list, uidLookupEntries(allowedServiceAccounts), log);
  } catch (err) {
    log.warn(
      `Failed to list service accounts for the UID allow list (${err instanceof Error ? err.message : String(err)}); ` +
        'callers are matched by name only',
    );
    return new Set();
  }
}
