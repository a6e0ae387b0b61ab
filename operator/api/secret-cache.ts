// Secret reads, briefly shared. Every List and every stream event resolves its secrets from the
// API (docs/contracts/operator.md §1.5: a rotated Secret must reach daprd with its next 60 s re-list), but a
// thousand sidecars re-listing every minute would turn that into a steady stream of identical
// GETs. A successful read is reused for a few seconds, far below daprd's own 60 s period; a
// failure is never reused, so a Secret created to fix a "not found" is seen at once. Entries
// live only for their TTL, so nothing accumulates.
import type { KubeApi } from '../../kit/kubernetes/client.js';
import type { SecretReader } from './secrets.js';

export const SECRET_TTL_MS = 5_000;

interface Entry {
  readonly at: number;
  readonly data: Promise<Readonly<Record<string, string>>>;
}

export function sharedSecretReader(
  read: SecretReader,
  ttlMs = SECRET_TTL_MS,
  now: () => number = Date.now,
): SecretReader {
  const entries = new Map<string, Entry>();
  const sweep = (t: number): void => {
    for (const [key, entry] of entries) if (t - entry.at >= ttlMs) entries.delete(key);
  };
  return (namespace, name) => {
    const key = `${namespace}/${name}`;
    const t = now();
    const held = entries.get(key);
    if (held !== undefined && t - held.at < ttlMs) return held.data;
    if (entries.size >= 256) sweep(t);
    const data = read(namespace, name);
    entries.set(key, { at: t, data });
    data.catch(() => {
      if (entries.get(key)?.data === data) entries.delete(key);
    });
    return data;
  };
}

/** Secret.data from the API, one GET per read (share it through sharedSecretReader). */
export function apiSecretReader(api: KubeApi): SecretReader {
  return async (namespace, name) => {
    const secret = await api.request<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
      { timeoutMs: 4_000 }, // daprd gives each attempt 5 s
    );
    return secret?.data ?? {};
  };
}
