// A minimal RFC 6902 "add" applier, so tests (and reviewers) can see the pod a patch produces.
import type { PatchOperation } from '../k8s-types.js';

function unescape(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** Returns a patched deep copy; throws when a path does not resolve, as the apiserver would. */
export function applyPatch<T>(doc: T, ops: readonly PatchOperation[]): T {
  const root = structuredClone(doc) as unknown;
  for (const op of ops) {
    const segments = op.path.split('/').slice(1).map(unescape);
    const last = segments.pop();
    if (last === undefined) throw new Error(`cannot add at the root: ${op.path}`);
    let target = root;
    for (const seg of segments) {
      const next: unknown = Array.isArray(target)
        ? (target as unknown[])[Number(seg)]
        : (target as Record<string, unknown>)[seg];
      if (typeof next !== 'object' || next === null) throw new Error(`path ${op.path} does not exist`);
      target = next;
    }
    const value = structuredClone(op.value);
    if (Array.isArray(target)) {
      if (last === '-') target.push(value);
      else target.splice(Number(last), 0, value);
    } else {
      (target as Record<string, unknown>)[last] = value;
    }
  }
  return root as T;
}
