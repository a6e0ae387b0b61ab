// The watches a client holds open, as the apiserver saw them: read from the audit log of a test
// cluster started with `auditWatches` (test/cluster/components.ts WATCH_AUDIT_POLICY). A watch
// is open from its ResponseStarted event until its ResponseComplete.
import { readFileSync } from 'node:fs';

interface AuditEvent {
  readonly auditID?: string;
  readonly stage?: string;
  readonly verb?: string;
  readonly userAgent?: string;
  readonly requestURI?: string;
}

/** The collection a watch is on: its path and selectors (not its resourceVersion or timeout). */
function collectionOf(requestUri: string): string {
  const url = new URL(requestUri, 'https://apiserver');
  const selectors = ['labelSelector', 'fieldSelector']
    .filter((name) => url.searchParams.has(name))
    .map((name) => `${name}=${url.searchParams.get(name)}`);
  return [url.pathname, ...selectors].join('?');
}

/** Open watches of the clients whose User-Agent is `userAgent`, counted per collection. */
export function openWatches(auditLog: string, userAgent: string): Map<string, number> {
  const started = new Map<string, string>();
  const completed = new Set<string>();
  for (const line of readFileSync(auditLog, 'utf8').split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as AuditEvent;
    if (event.verb !== 'watch' || event.userAgent !== userAgent || event.auditID === undefined) continue;
    if (event.stage === 'ResponseStarted') started.set(event.auditID, collectionOf(event.requestURI ?? '/'));
    else if (event.stage === 'ResponseComplete') completed.add(event.auditID);
  }
  const open = new Map<string, number>();
  for (const [id, collection] of started) {
    if (!completed.has(id)) open.set(collection, (open.get(collection) ?? 0) + 1);
  }
  return open;
}
