// Test helper: a CaStore held in memory, with a decision the test can script, conflicts on
// demand, and a count of writes.
import type { X509Bundle } from '../bundle.js';
import type { BundleKeys, StoredPems } from '../bundle-layout.js';
import { decideSelfHostedStartup } from '../startup-decision.js';
import { fingerprintOf, StoreConflictError, type CaStore, type StoreSnapshot } from '../ca-store.js';

const KEYS: BundleKeys = { trustAnchors: 'ca.crt', issuerChain: 'issuer.crt', issuerKey: 'issuer.key' };

export class MemoryCaStore implements CaStore {
  readonly description = 'memory';
  stored: StoredPems = {};
  saves = 0;
  published = 0;
  /** The next saves fail with a conflict; `onConflict` may change what is stored meanwhile. */
  conflicts = 0;
  onConflict: (() => void) | undefined;

  withBundle(bundle: X509Bundle): this {
    this.stored = {
      trustAnchors: bundle.trustAnchorsPem,
      issuerChain: bundle.issuerChainPem,
      issuerKey: bundle.issuerKeyPem,
    };
    return this;
  }

  read(): Promise<StoreSnapshot> {
    const stored = this.stored;
    return Promise.resolve({
      decision: decideSelfHostedStartup(stored, 'memory', KEYS),
      fingerprint: fingerprintOf(stored),
      saveBundle: (bundle) => {
        if (this.conflicts > 0) {
          this.conflicts--;
          this.onConflict?.();
          return Promise.reject(new StoreConflictError('changed meanwhile'));
        }
        this.saves++;
        this.withBundle(bundle);
        return Promise.resolve(fingerprintOf(this.stored));
      },
      publishAnchors: () => {
        this.published++;
        return Promise.resolve();
      },
    });
  }

  currentFingerprint(): Promise<string> {
    return Promise.resolve(fingerprintOf(this.stored));
  }
}
