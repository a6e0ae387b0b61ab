// The CA sentry signs with, kept current: loaded once before anything signs, then reloaded when
// the stored credentials change (docs/contracts/sentry.md §5 "Reload and rotation"). Each change noticed counts
// in dapr_sentry_issuercert_changed_total; changes within 2 s make one reload.
//
// Divergence from upstream, which restarts its whole inner stack (gRPC, healthz and metrics
// servers, serving certificate) on a change: the new CA is swapped in place. Requests in flight
// finish with the old one, new ones get the new one, the serving certificate is re-issued at once
// (listeners), and no port closes. A reload that fails (say, a half-written bundle) is logged as
// an error and the CA in use stays; the next change tries again.
import type { Logger } from '../../kit/logger.js';
import { runGroup } from '../../kit/runner.js';
import type { SentryMetrics } from '../metrics.js';
import { CertificateAuthority, type IdentitySigner } from './ca.js';
import { ChangeBatcher, type ChangeSource, type Timers } from './changes.js';
import type { LoadedCa } from './loader.js';

export interface CaProviderOptions {
  /** Reads (or generates) the credentials: loader.ts's loadCa with sentry's store. */
  readonly load: () => Promise<LoadedCa>;
  /** daprsystem spec.mtls.workloadCertTTL. */
  readonly workloadCertTtlMs: number;
  /** daprsystem spec.mtls.allowedClockSkew. */
  readonly allowedClockSkewMs: number;
  /** What reports credential changes (file watches, Secret polling). */
  readonly sources: readonly ChangeSource[];
  /** The fingerprint of what is stored now: a batch that changed nothing causes no reload. */
  readonly stored?: () => Promise<string>;
  readonly log: Logger;
  readonly metrics?: Pick<SentryMetrics, 'issuerCertChanged'>;
  readonly batchWindowMs?: number;
  readonly timers?: Timers;
}

export class CaProvider {
  readonly #options: CaProviderOptions;
  #ca: CertificateAuthority | undefined;
  #fingerprint = '';
  readonly #listeners = new Set<() => void>();
  #reloading: Promise<void> | undefined;
  #again = false;

  constructor(options: CaProviderOptions) {
    this.#options = options;
  }

  /** The CA to sign with; undefined until start() has loaded one. */
  current(): IdentitySigner | undefined {
    return this.#ca;
  }

  /** The fingerprint of the stored credentials the current CA came from. */
  get fingerprint(): string {
    return this.#fingerprint;
  }

  /** Called after each successful reload (not after the first load). */
  onReload(listener: () => void): void {
    this.#listeners.add(listener);
  }

  #install(loaded: LoadedCa): void {
    this.#ca = new CertificateAuthority({
      bundle: loaded.bundle,
      workloadCertTtlMs: this.#options.workloadCertTtlMs,
      allowedClockSkewMs: this.#options.allowedClockSkewMs,
    });
    this.#fingerprint = loaded.fingerprint;
  }

  /** The first load; a failure here is fatal for sentry. */
  async start(): Promise<void> {
    this.#install(await this.#options.load());
    this.#options.log.info('CA certificate key pair ready');
  }

  async #unchanged(): Promise<boolean> {
    try {
      return (await this.#options.stored?.()) === this.#fingerprint;
    } catch {
      return false; // let the reload report what is wrong
    }
  }

  async #reloadOnce(): Promise<void> {
    const { log } = this.#options;
    if (await this.#unchanged()) {
      log.debug('Issuer credentials are unchanged; not reloading');
      return;
    }
    log.warn('Issuer credentials changed; reloading');
    try {
      this.#install(await this.#options.load());
    } catch (err) {
      log.error(
        { error: err },
        'Reloading the issuer credentials failed; still signing with the previous ones',
      );
      return;
    }
    log.info('CA certificate key pair reloaded');
    for (const listener of this.#listeners) listener();
  }

  /** One reload at a time; a batch that closes during a reload causes one more. */
  #reload(): void {
    if (this.#reloading !== undefined) {
      this.#again = true;
      return;
    }
    this.#reloading = (async (): Promise<void> => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#again);
      this.#reloading = undefined;
    })();
  }

  /** Watches for changes until `signal` aborts; call after start(). */
  async run(signal: AbortSignal): Promise<void> {
    const { sources, log, metrics } = this.#options;
    const batcher = new ChangeBatcher({
      windowMs: this.#options.batchWindowMs,
      timers: this.#options.timers,
      onBatch: () => this.#reload(),
    });
    const notify = (what: string): void => {
      metrics?.issuerCertChanged();
      log.debug(`Received issuer credentials changed signal (${what})`);
      batcher.notify();
    };
    try {
      await runGroup(
        sources.map((source, i) => ({ name: `ca-change-source-${i}`, run: (s) => source(notify, s) })),
        signal,
      );
    } finally {
      batcher.stop();
      await this.#reloading;
    }
  }
}
