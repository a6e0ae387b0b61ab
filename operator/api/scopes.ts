// App scoping (docs/contracts/operator.md §1.4, §1.6): a resource is "in" for an app when its top-level
// `scopes` is empty or names the app-id exactly. Streams turn a change into at most one message,
// seen from the caller: an object entering its scope is CREATED, one leaving it is DELETED
// (carrying the old object), and one outside before and after is not sent at all.
import type { Change, KubeObject } from '../cache/resource-cache.js';
import { ResourceEventType } from '../proto/operator.js';

export function inScope(object: KubeObject, appId: string): boolean {
  const scopes = object.scopes;
  if (!Array.isArray(scopes) || scopes.length === 0) return true;
  return scopes.includes(appId);
}

export interface StreamMessage {
  readonly type: number;
  readonly object: KubeObject;
}

/** The message a change becomes for `appId`, or undefined when it sends nothing. */
export function messageFor(change: Change, appId: string): StreamMessage | undefined {
  const now = inScope(change.object, appId);
  switch (change.type) {
    case 'ADDED':
      return now ? { type: ResourceEventType.CREATED, object: change.object } : undefined;
    case 'DELETED':
      return now ? { type: ResourceEventType.DELETED, object: change.object } : undefined;
    case 'MODIFIED': {
      const before = change.old === undefined ? true : inScope(change.old, appId);
      if (now)
        return {
          type: before ? ResourceEventType.UPDATED : ResourceEventType.CREATED,
          object: change.object,
        };
      if (before && change.old !== undefined) return { type: ResourceEventType.DELETED, object: change.old };
      return undefined;
    }
  }
}
