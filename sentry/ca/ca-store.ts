// Where the CA's credentials are kept, behind one small interface (docs/contracts/sentry.md §5): the Kubernetes
// Secret and ConfigMap `dapr-trust-bundle` (kube-store.ts), or three files (file-store.ts). A
// store reads what it holds and decides with startup-decision.ts's pure rules; writes are made against
// what was read, so two sentries starting at once cannot both install a CA of their own.
import { createHash } from 'node:crypto';
import type { X509Bundle } from './bundle.js';
import type { StoredPems } from './bundle-layout.js';
import type { StartupDecision } from './startup-decision.js';

export interface StoreSnapshot {
  readonly decision: StartupDecision;
  /** Identifies the stored credentials, to notice when they change. */
  readonly fingerprint: string;
  /**
   * Writes a generated bundle (Secret and ConfigMap, or the three files); resolves with the new
   * fingerprint. Rejects with StoreConflictError when the store changed since this snapshot.
   */
  saveBundle(bundle: X509Bundle): Promise<string>;
  /** Writes only the trust anchors where clients read them (the ConfigMap's ca.crt). */
  publishAnchors(bundle: X509Bundle): Promise<void>;
}

export interface CaStore {
  /** For logs: `Secret dapr-system/dapr-trust-bundle` or `directory /path`. */
  readonly description: string;
  read(): Promise<StoreSnapshot>;
  /** The fingerprint of what is stored now, for stores that are polled for changes. */
  currentFingerprint(): Promise<string>;
}

/** Someone else wrote the store between our read and our write: read and decide again. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
}

/** A digest of the three stored PEMs ('' for an empty store). */
export function fingerprintOf(pems: StoredPems): string {
  const parts = [pems.trustAnchors, pems.issuerChain, pems.issuerKey];
  if (parts.every((p) => p === undefined)) return '';
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(String(part?.length ?? -1));
    hash.update(':');
    if (part !== undefined) hash.update(part);
  }
  return hash.digest('hex');
}
