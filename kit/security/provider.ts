// The control-plane SVID provider (docs/contracts/sentry.md §1, §2, §6): every Dapr control-plane service
// (placement, scheduler, operator, injector) holds an X.509 SVID from sentry and the trust
// anchors. This reads the anchors from --trust-anchors-file (re-read on change), generates a
// fresh key (Ed25519 or RSA 2048), asks sentry to sign it with the projected service-account
// token, verifies the answer and renews at half of the certificate's lifetime.
//
// The CSR builder and the SignCertificate call default to kit's own (kit/x509/csr-builder.ts,
// kit/security/sentry-client.ts); tests pass others.
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { experimental } from '@grpc/grpc-js';
import type { HealthTarget } from '../health-targets.js';
import type { Logger } from '../logger.js';
import { TokenValidator } from '../proto/sentry.js';
import { createCsrPem } from '../x509/csr-builder.js';
import { sentrySigner } from './sentry-client.js';
import { checkOnlyUriSan, subjectAltNames } from './subject-alt-names.js';
import { isControlPlaneAppId } from '../dapr/control-plane.js';
import { daprSpiffeId, sentrySpiffeId } from './spiffe.js';

export type KeyAlgorithm = 'ed25519' | 'rsa';

export const ENV_SENTRY_TOKEN_FILE = 'DAPR_SENTRY_TOKEN_FILE';
export const KUBERNETES_TOKEN_FILE = '/var/run/secrets/dapr.io/sentrytoken/token';
export const LEGACY_KUBERNETES_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface SignRequest {
  readonly id: string;
  readonly namespace: string;
  /** Empty unless the id is a control-plane id. */
  readonly trustDomain: string;
  readonly token: string;
  readonly tokenValidator: number;
  readonly csrPem: Buffer;
}

export interface SignResponse {
  /** PEM: the leaf, then the issuer chain. */
  readonly workloadCertificate: Buffer;
}

/** SignCertificate over mTLS to sentry, authorizing sentry as `sentryId`. */
export type Signer = (
  request: SignRequest,
  connection: { readonly address: string; readonly trustAnchorsPem: Buffer; readonly sentryId: string },
) => Promise<SignResponse>;

export interface SecurityProviderOptions {
  readonly appId: string;
  /** The service's own namespace (env NAMESPACE). */
  readonly namespace: string;
  /** The control-plane trust domain (--trust-domain). */
  readonly trustDomain: string;
  readonly trustAnchorsFile: string;
  readonly sentryAddress: string;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly kubernetesMode: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Default: kit's PKCS#10 builder. */
  readonly createCsrPem?: (key: KeyObject) => Buffer;
  /** Default: SignCertificate to sentryAddress. */
  readonly sign?: Signer;
  readonly log: Logger;
  /** `security-provider`: ready once the first SVID is held. */
  readonly health?: HealthTarget;
  /** Delay between failed attempts. */
  readonly retryMs?: number;
  /**
   * DNS names the certificate must carry (the injector's Service name, which the apiserver
   * checks); a certificate without them is refused like any other bad answer.
   */
  readonly requiredDnsNames?: readonly string[];
}

export interface Svid {
  readonly privateKeyPem: Buffer;
  /** PEM leaf + intermediates. */
  readonly certChainPem: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spiffeId: string;
}

/** token + validator as the Go clients choose them (docs/contracts/sentry.md §1, checked in this order). */
export function sentryToken(
  env: NodeJS.ProcessEnv,
  kubernetesMode: boolean,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  log?: Logger,
): { token: string; validator: number } {
  const file = env[ENV_SENTRY_TOKEN_FILE];
  if (file !== undefined) {
    if (file === '') throw new Error(`${ENV_SENTRY_TOKEN_FILE} is set but empty`);
    return {
      token: read(file),
      validator: kubernetesMode ? TokenValidator.KUBERNETES : TokenValidator.JWKS,
    };
  }
  if (kubernetesMode) {
    const readOrEmpty = (path: string): string => {
      try {
        return read(path);
      } catch {
        return '';
      }
    };
    const token = readOrEmpty(KUBERNETES_TOKEN_FILE);
    if (token !== '') return { token, validator: TokenValidator.KUBERNETES };
    const legacy = readOrEmpty(LEGACY_KUBERNETES_TOKEN_FILE);
    if (legacy !== '') {
      log?.warn(`Failed to read ${KUBERNETES_TOKEN_FILE}, falling back to the legacy service account token`);
      return { token: legacy, validator: TokenValidator.KUBERNETES };
    }
    // No token at all (a pod without an automounted token): upstream asks with an empty token
    // and lets sentry pick its default validator; a sentry with the insecure validator issues.
    log?.warn(
      `No service account token at ${KUBERNETES_TOKEN_FILE} or ${LEGACY_KUBERNETES_TOKEN_FILE}: asking sentry without one`,
    );
  }
  return { token: '', validator: TokenValidator.UNKNOWN };
}

function splitPem(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** The required DNS names the certificate does not carry (read from its DER, not Node's text). */
export function missingDnsNames(cert: X509Certificate, required: readonly string[]): string[] {
  const names = new Set(subjectAltNames(cert.raw).dns);
  return required.filter((n) => !names.has(n));
}

/**
 * Checks sentry's answer: the leaf carries our public key and exactly the expected SPIFFE id,
 * is not a CA, and the chain verifies up to one of the anchors. Returns the parsed leaf.
 */
export function verifySvid(
  chainPem: Buffer,
  key: KeyObject,
  expectedId: string,
  anchorsPem: Buffer,
): X509Certificate {
  const chain = splitPem(chainPem.toString('utf8'));
  const anchors = splitPem(anchorsPem.toString('utf8'));
  const leaf = chain[0];
  if (leaf === undefined) throw new Error('sentry returned no certificate');
  if (anchors.length === 0) throw new Error('no trust anchors');
  const ours = key.type === 'private' ? key : undefined;
  if (ours === undefined || !leaf.checkPrivateKey(ours)) {
    throw new Error('the certificate does not carry our public key');
  }
  if (leaf.ca) throw new Error('the leaf certificate is a CA');
  const wrongId = checkOnlyUriSan(leaf.raw, expectedId);
  if (wrongId !== undefined) throw wrongId;
  checkChain(chain, anchors);
  return leaf;
}

/** Each certificate is current and signed by the next; the last one by (or is) an anchor. */
function checkChain(chain: readonly X509Certificate[], anchors: readonly X509Certificate[]): void {
  const now = Date.now();
  chain.forEach((cert, i) => {
    if (Date.parse(cert.validTo) < now) throw new Error(`certificate ${i} of the chain has expired`);
    const issuer = chain[i + 1];
    const signedBy = (by: X509Certificate): boolean => cert.checkIssued(by) && cert.verify(by.publicKey);
    if (issuer !== undefined && !signedBy(issuer)) {
      throw new Error(`certificate ${i} of the chain is not signed by the next one`);
    }
    if (
      issuer === undefined &&
      !anchors.some((a) => a.fingerprint256 === cert.fingerprint256 || signedBy(a))
    ) {
      throw new Error('the chain does not lead to the trust anchors');
    }
  });
}

function generateKey(algorithm: KeyAlgorithm): KeyObject {
  return algorithm === 'ed25519'
    ? generateKeyPairSync('ed25519').privateKey
    : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

const DEFAULT_RETRY_MS = 1_000;

/**
 * Runs until aborted; implements grpc-js's CertificateProvider so a server (or client) built with
 * experimental.createCertificateProviderServerCredentials follows rotations of both the SVID
 * and the anchors.
 */
export class SecurityProvider implements experimental.CertificateProvider {
  readonly #opts: SecurityProviderOptions;
  #anchors: Buffer | undefined;
  #svid: Svid | undefined;
  readonly #caListeners = new Set<experimental.CaCertificateUpdateListener>();
  readonly #idListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  #firstReady: Promise<void>;
  #resolveFirst!: () => void;

  constructor(opts: SecurityProviderOptions) {
    this.#opts = opts;
    this.#firstReady = new Promise((resolve) => (this.#resolveFirst = resolve));
  }

  get spiffeId(): string {
    const { trustDomain, namespace, appId } = this.#opts;
    return daprSpiffeId(trustDomain, namespace, appId);
  }

  /** The SPIFFE id sentry must present. */
  get sentryId(): string {
    return sentrySpiffeId(this.#opts.trustDomain, this.#opts.namespace);
  }

  get trustAnchorsPem(): Buffer | undefined {
    return this.#anchors;
  }

  get svid(): Svid | undefined {
    return this.#svid;
  }

  /** Resolves once the first SVID is held. */
  ready(): Promise<void> {
    return this.#firstReady;
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.#caListeners.add(listener);
    // Deferred: grpc-js (1.14) registers the server's watcher only after adding its listeners,
    // so a synchronous first update would be lost and every connection dropped.
    queueMicrotask(() => {
      if (this.#anchors !== undefined && this.#caListeners.has(listener))
        listener({ caCertificate: this.#anchors });
    });
  }
  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.#caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.#idListeners.add(listener);
    queueMicrotask(() => {
      if (this.#svid !== undefined && this.#idListeners.has(listener))
        listener(this.#identityUpdate(this.#svid));
    });
  }
  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.#idListeners.delete(listener);
  }

  #identityUpdate(svid: Svid): { certificate: Buffer; privateKey: Buffer } {
    return { certificate: svid.certChainPem, privateKey: svid.privateKeyPem };
  }

  #loadAnchors(): boolean {
    const pem = readFileSync(this.#opts.trustAnchorsFile);
    if (splitPem(pem.toString('utf8')).length === 0)
      throw new Error(`no certificates in ${this.#opts.trustAnchorsFile}`);
    if (this.#anchors !== undefined && this.#anchors.equals(pem)) return false;
    this.#anchors = pem;
    for (const l of this.#caListeners) l({ caCertificate: pem });
    return true;
  }

  /** One request to sentry; returns the new SVID (not yet published). */
  async #request(): Promise<Svid> {
    const o = this.#opts;
    const anchors = this.#anchors!;
    const key = generateKey(o.keyAlgorithm);
    const { token, validator } = sentryToken(o.env, o.kubernetesMode, undefined, o.log);
    const sign = o.sign ?? sentrySigner;
    const buildCsr = o.createCsrPem ?? createCsrPem;
    const response = await sign(
      {
        id: o.appId,
        namespace: o.namespace,
        // Only control-plane app ids send trust_domain with their request (docs/contracts/sentry.md §1).
        trustDomain: isControlPlaneAppId(o.appId) ? o.trustDomain : '',
        token,
        tokenValidator: validator,
        csrPem: buildCsr(key),
      },
      { address: o.sentryAddress, trustAnchorsPem: anchors, sentryId: this.sentryId },
    );
    const leaf = verifySvid(response.workloadCertificate, key, this.spiffeId, anchors);
    const missing = missingDnsNames(leaf, o.requiredDnsNames ?? []);
    if (missing.length > 0) throw new Error(`the certificate lacks the DNS names ${JSON.stringify(missing)}`);
    return {
      privateKeyPem: Buffer.from(key.export({ type: 'pkcs8', format: 'pem' }) as string, 'ascii'),
      certChainPem: response.workloadCertificate,
      notBefore: new Date(leaf.validFrom),
      notAfter: new Date(leaf.validTo),
      spiffeId: this.spiffeId,
    };
  }

  #publish(svid: Svid): void {
    this.#svid = svid;
    this.#opts.log.info(
      `Successfully received SVID ${svid.spiffeId}; cert expires on: ${svid.notAfter.toISOString()}`,
    );
    for (const l of this.#idListeners) l(this.#identityUpdate(svid));
    this.#opts.health?.ready();
    this.#resolveFirst();
  }

  /** Milliseconds until renewal: half of the lifetime, counted from notBefore. */
  static renewDelayMs(svid: Pick<Svid, 'notBefore' | 'notAfter'>, now = Date.now()): number {
    const half = (svid.notAfter.getTime() - svid.notBefore.getTime()) / 2;
    return Math.max(0, svid.notBefore.getTime() + half - now);
  }

  /** One request for an SVID; the delay until the next (renewal, or a retry after a failure). */
  async #attempt(retryMs: number): Promise<number> {
    const o = this.#opts;
    try {
      if (this.#anchors === undefined) this.#loadAnchors();
      const svid = await this.#request();
      this.#publish(svid);
      return SecurityProvider.renewDelayMs(svid);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      o.log.error(`Failed to get a certificate from sentry at ${o.sentryAddress}: ${reason}`);
      // An SVID that has expired is no longer held
      if (this.#svid !== undefined && this.#svid.notAfter.getTime() <= Date.now()) o.health?.notReady();
      return retryMs;
    }
  }

  /**
   * Re-reads the anchors when their file changes: by name, or as Kubernetes swaps a Secret or
   * projected volume (its `..data` symlink and `..<timestamp>` directories). Other files in the
   * directory are not looked at, and a failure is logged once until the next success: a log
   * written beside a missing anchors file would otherwise wake the watch for every line it logs.
   */
  #watchAnchors(onChange: () => void): FSWatcher | undefined {
    const o = this.#opts;
    const anchorsName = basename(o.trustAnchorsFile);
    let lastFailure: string | undefined;
    const reload = (_event: string, filename: string | null): void => {
      if (filename !== null && filename !== anchorsName && !filename.startsWith('..')) return;
      try {
        if (!this.#loadAnchors()) return;
        lastFailure = undefined;
        o.log.info('Trust anchors changed; requesting a new certificate');
        onChange();
      } catch (err) {
        const failure = String(err);
        if (failure !== lastFailure) o.log.warn(`Failed to reload the trust anchors: ${failure}`);
        lastFailure = failure;
      }
    };
    try {
      return watch(dirname(o.trustAnchorsFile), reload);
    } catch (err) {
      o.log.warn(`Cannot watch ${o.trustAnchorsFile}: ${String(err)}`);
      return undefined;
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const o = this.#opts;
    const retryMs = o.retryMs ?? DEFAULT_RETRY_MS;
    let watcher: FSWatcher | undefined;
    let renewNow: (() => void) | undefined;
    const sleep = (ms: number): Promise<void> =>
      new Promise((resolve) => {
        if (signal.aborted) return resolve();
        const t = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
        function done(): void {
          clearTimeout(t);
          signal.removeEventListener('abort', done);
          renewNow = undefined;
          resolve();
        }
        renewNow = done;
        signal.addEventListener('abort', done, { once: true });
      });
    try {
      watcher = this.#watchAnchors(() => renewNow?.());
      while (!signal.aborted) await sleep(await this.#attempt(retryMs));
    } finally {
      watcher?.close();
      o.health?.notReady();
    }
  }
}
