// Sentry's own TLS identity: a certificate for spiffe://<td>/ns/<ns>/dapr-sentry signed in-process
// by the same CA (sentry never calls itself over gRPC), with a fresh Ed25519 key each time, and
// renewed at half its lifetime as daprd renews its own. It is a grpc-js CertificateProvider, so
// the listener picks up each renewal without restarting.
import type { experimental } from '@grpc/grpc-js';
import { generateKeyPairSync } from 'node:crypto';
import type { HealthTarget } from '../../kit/health-targets.js';
import type { Logger } from '../../kit/logger.js';
import type { IdentitySigner } from '../ca/ca.js';
import { encodePem } from '../../kit/x509/pem.js';
import { CONTROL_PLANE_APP_IDS } from '../../kit/dapr/control-plane.js';

type CertificateProvider = experimental.CertificateProvider;
type IdentityUpdate = experimental.IdentityCertificateUpdate;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** After a failed issuance, try again this soon. */
export const RETRY_AFTER_FAILURE_MS = 10_000;
/** Never renew more often than this, even when the skew exceeds half the TTL. */
const MIN_RENEWAL_WAIT_MS = 1_000;
/** setTimeout's ceiling (about 24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A certificate provider that can say when its first certificate exists. */
export interface ServingIdentity extends CertificateProvider {
  /** Resolves once a certificate is available. */
  whenReady(): Promise<void>;
}

export interface ServingCertificateOptions {
  /** The CA currently loaded. */
  readonly ca: () => IdentitySigner | undefined;
  /** --trust-domain. */
  readonly trustDomain: string;
  /** NAMESPACE. */
  readonly namespace: string;
  /** `security-provider`: ready once a certificate exists. */
  readonly health?: HealthTarget;
  readonly log?: Logger;
  /** Counts failed issuances (dapr_sentry_servercert_issue_failed_total). */
  readonly onIssueFailed?: () => void;
  readonly now?: () => number;
}

/** When to renew: half-way between NotBefore and NotAfter. */
export function renewalTime(notBefore: Date, notAfter: Date): number {
  return notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

export class ServingCertificate implements ServingIdentity {
  readonly #options: ServingCertificateOptions;
  readonly #listeners = new Set<IdentityListener>();
  #current: (IdentityUpdate & { renewAt: number; notAfter: Date }) | undefined;
  readonly #ready: Promise<void>;
  #markReady: () => void = () => undefined;
  /** Set by reissue(): the next loop turn issues whatever the renewal time says. */
  #forced = false;
  #wake = new AbortController();

  constructor(options: ServingCertificateOptions) {
    this.#options = options;
    this.#ready = new Promise((resolve) => (this.#markReady = resolve));
  }

  whenReady(): Promise<void> {
    return this.#ready;
  }

  /** The certificate being served (leaf + issuer chain PEM, PKCS#8 key PEM), if any yet. */
  get current(): IdentityUpdate | undefined {
    return this.#current;
  }

  /** Issues now, then again at each renewal time, until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const now = this.#options.now ?? Date.now;
    while (!signal.aborted) {
      const due = this.#forced || this.#current === undefined || now() >= this.#current.renewAt;
      this.#forced = false;
      const wait = due ? await this.#issue() : undefined;
      const next = wait ?? Math.max(this.#current!.renewAt - now(), MIN_RENEWAL_WAIT_MS);
      if (this.#forced) continue;
      await sleep(next, AbortSignal.any([signal, this.#wake.signal]));
      if (this.#wake.signal.aborted) this.#wake = new AbortController();
    }
    this.#options.health?.notReady();
  }

  /** Issues a new certificate now (the CA changed), without waiting for the renewal time. */
  reissue(): void {
    this.#forced = true;
    this.#wake.abort();
  }

  /** Issues a certificate; returns how long to wait before trying again if that failed. */
  async #issue(): Promise<number | undefined> {
    const { ca, trustDomain, namespace, log } = this.#options;
    try {
      const signer = ca();
      if (signer === undefined) throw new Error('the certificate authority is not ready');
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const signed = await signer.signIdentity({
        spki: publicKey.export({ type: 'spki', format: 'der' }),
        trustDomain,
        namespace,
        appId: CONTROL_PLANE_APP_IDS.sentry,
        dnsNames: [],
      });
      this.#current = {
        certificate: signed.chainPem,
        privateKey: Buffer.from(
          encodePem('PRIVATE KEY', privateKey.export({ type: 'pkcs8', format: 'der' })),
        ),
        renewAt: renewalTime(signed.notBefore, signed.notAfter),
        notAfter: signed.notAfter,
      };
      log?.info({ expiry: signed.notAfter.toISOString() }, 'Issued the sentry serving certificate');
      for (const listener of this.#listeners) listener(this.#current);
      this.#options.health?.ready();
      this.#markReady();
      return undefined;
    } catch (err) {
      this.#options.onIssueFailed?.();
      log?.error({ error: err }, 'Failed to issue the sentry serving certificate');
      return RETRY_AFTER_FAILURE_MS;
    }
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#listeners.add(listener);
    // Deliver the current certificate after grpc-js has finished registering its watcher:
    // a synchronous call here would reach no watcher and leave the listener without credentials.
    const current = this.#current;
    if (current !== undefined) queueMicrotask(() => this.#listeners.has(listener) && listener(current));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#listeners.delete(listener);
  }

  // Sentry asks no client certificate, so there is never a CA certificate to deliver.
  addCaCertificateListener(): void {}
  removeCaCertificateListener(): void {}
}
