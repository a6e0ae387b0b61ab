// Bringing the CA's credentials in from a store, at startup and on every reload (docs/contracts/sentry.md §5
// "Startup logic"): read, decide, then use the stored bundle (checked as upstream checks it; a bad
// bundle is fatal), or generate a self-signed root and issuer and write them. A write that loses
// a race with another sentry is not an error: read again and use what the other one stored.
import type { Logger } from '../../kit/logger.js';
import type { SentryMetrics } from '../metrics.js';
import { BundleError, loadBundle, type X509Bundle } from './bundle.js';
import { StoreConflictError, type CaStore } from './ca-store.js';

export interface LoadCaOptions {
  readonly store: CaStore;
  /** Makes a new self-signed root and issuer (bundle.ts generateBundle with sentry's settings). */
  readonly generate: () => X509Bundle;
  readonly log: Logger;
  readonly metrics?: Pick<SentryMetrics, 'issuerCertChanged' | 'issuerCertExpiry'>;
  readonly now?: () => number;
  /** Reads after a write conflict before giving up. */
  readonly maxAttempts?: number;
}

export interface LoadedCa {
  readonly bundle: X509Bundle;
  /** What the store holds now (see CaStore.currentFingerprint). */
  readonly fingerprint: string;
  readonly generated: boolean;
}

/** The store holds something sentry must not use or replace; the message says what to fix. */
export class CaLoadError extends Error {
  override readonly name = 'CaLoadError';
}

const DEFAULT_MAX_ATTEMPTS = 3;

async function attempt(options: LoadCaOptions): Promise<LoadedCa> {
  const { store, log, now } = options;
  const snapshot = await store.read();
  const { decision } = snapshot;
  if (decision.action === 'fail') throw new CaLoadError(decision.reason);
  for (const finding of decision.findings) log[finding.level](finding.message);
  if (decision.action === 'generate') {
    log.info('Root and issuer certs not found: generating self signed CA');
    const bundle = options.generate();
    const fingerprint = await snapshot.saveBundle(bundle);
    log.info(`Self-signed certs generated and persisted to ${store.description}`);
    options.metrics?.issuerCertChanged();
    return { bundle, fingerprint, generated: true };
  }
  let bundle: X509Bundle;
  try {
    bundle = loadBundle(decision.pems, (now ?? Date.now)());
  } catch (err) {
    if (err instanceof BundleError) {
      throw new CaLoadError(`failed to verify CA bundle in ${store.description}: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  if (decision.writeConfigMap) await snapshot.publishAnchors(bundle);
  log.info(`Root and issuer certs found: using credentials from ${store.description}`);
  return { bundle, fingerprint: snapshot.fingerprint, generated: false };
}

export async function loadCa(options: LoadCaOptions): Promise<LoadedCa> {
  const attempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let i = 1; ; i++) {
    try {
      const loaded = await attempt(options);
      options.metrics?.issuerCertExpiry(loaded.bundle.issuerChain[0]!.notAfter);
      return loaded;
    } catch (err) {
      if (!(err instanceof StoreConflictError) || i >= attempts) throw err;
      options.log.info(`${err.message}; reading it again`);
    }
  }
}
