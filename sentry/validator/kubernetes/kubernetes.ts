// The Kubernetes validator (docs/contracts/sentry.md §4): the caller proves who it is with its projected
// service-account token. The apiserver's TokenReview authenticates the token; the Pod named in
// it must belong to that service account, and the requested id must be the Pod's app id (or its
// control-plane name). The trust domain comes from the Pod's Configuration, never the request.
// Apiserver access is injected (TokenReviewer, KubernetesLookup), so tests run on fakes.
import { orAborted } from '../../../kit/runner.js';
import type { HealthTarget } from '../../../kit/health-targets.js';
import { SentryError } from '../../errors.js';
import type { SignCertificateRequest } from '../../../kit/proto/sentry.js';
import { parseTrustDomain, sentrySpiffeId } from '../../../kit/security/spiffe.js';
import { DEFAULT_TRUST_DOMAIN, validateCommon } from '../common.js';
import { rejected, type ValidateResult, type Validator } from '../validator.js';
import { podNameFromToken } from './token.js';
import { DAPR_ANNOTATIONS } from '../../../kit/dapr/annotations.js';
import { controlPlaneAppId } from '../../../kit/dapr/control-plane.js';

/** The legacy audience daprd's older tokens carry; the other is sentry's SPIFFE ID. */
export const LEGACY_SENTRY_AUDIENCE = 'dapr.io/sentry';

/** status of an authentication.k8s.io/v1 TokenReview. */
export interface TokenReviewStatus {
  readonly authenticated: boolean;
  readonly username: string;
  readonly error: string;
}

/**
 * Creates a TokenReview. Rejects with SentryError('unavailable') when the apiserver cannot be
 * reached (the caller may retry); any other rejection denies the request.
 */
export type TokenReviewer = (token: string, audiences: readonly string[]) => Promise<TokenReviewStatus>;

export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccountName: string;
  readonly annotations: Readonly<Record<string, string>>;
}

/** The part of a dapr.io Configuration the validator reads. */
export interface ConfigurationInfo {
  /** spec.accessControl.trustDomain, when set. */
  readonly accessControlTrustDomain?: string;
}

/** Reads Pods and Configurations: an informer cache, or direct GETs. */
export interface KubernetesLookup {
  /** Keeps caches in sync until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /** Resolves once the caches are synced (at once for direct GETs). */
  whenReady(): Promise<void>;
  isReady(): boolean;
  getPod(namespace: string, name: string): Promise<PodInfo | undefined>;
  getConfiguration(namespace: string, name: string): Promise<ConfigurationInfo | undefined>;
}

export interface KubernetesValidatorOptions {
  readonly tokenReviewer: TokenReviewer;
  readonly lookup: KubernetesLookup;
  /** --trust-domain: control-plane pods are issued identities in it. */
  readonly controlPlaneTrustDomain: string;
  /** NAMESPACE: sentry's namespace, the only one control-plane pods may run in. */
  readonly controlPlaneNamespace: string;
  /** `sentry-kubernetes-validator`, ready once the lookup is. */
  readonly health?: HealthTarget;
}

/** What a Pod may be called: `dapr-<svc>` for control-plane pods, else its app id or name. */
export function expectedIdentity(
  pod: PodInfo,
  controlPlaneNamespace: string,
): { id: string; controlPlane: boolean } {
  const service = pod.annotations[DAPR_ANNOTATIONS.controlPlane];
  const appId = pod.annotations[DAPR_ANNOTATIONS.appId];
  if (service === undefined) return { id: appId ?? pod.name, controlPlane: false };
  if (pod.namespace !== controlPlaneNamespace) {
    throw rejected(`control-plane pods must run in namespace ${controlPlaneNamespace}, not ${pod.namespace}`);
  }
  const id = controlPlaneAppId(service);
  if (id === undefined) throw rejected(`pod ${pod.name}: unknown control-plane service`);
  if (appId !== undefined)
    throw rejected(`control-plane pod ${pod.name} may not carry ${DAPR_ANNOTATIONS.appId}`);
  return { id, controlPlane: true };
}

export class KubernetesValidator implements Validator {
  readonly #options: KubernetesValidatorOptions;
  readonly #audiences: readonly string[];

  constructor(options: KubernetesValidatorOptions) {
    this.#options = options;
    this.#audiences = [
      LEGACY_SENTRY_AUDIENCE,
      sentrySpiffeId(options.controlPlaneTrustDomain, options.controlPlaneNamespace),
    ];
  }

  async run(signal: AbortSignal): Promise<void> {
    const { lookup, health } = this.#options;
    const running = lookup.run(signal);
    await orAborted(lookup.whenReady(), signal);
    if (!signal.aborted) health?.ready();
    await running;
  }

  async validate(request: SignCertificateRequest): Promise<ValidateResult> {
    const { lookup } = this.#options;
    if (!lookup.isReady()) throw rejected('validator not ready');
    validateCommon(request); // the requested trust domain must parse, though it is not used

    const [system, kind, saNamespace, saName, ...rest] = (await this.#review(request.token)).split(':');
    if (
      system !== 'system' ||
      kind === undefined ||
      saNamespace === undefined ||
      saName === undefined ||
      rest.length > 0
    ) {
      throw rejected('token is not a service account token (want system:serviceaccount:<namespace>:<name>)');
    }
    const podName = podNameFromToken(request.token);
    const pod = await this.#lookup(() => lookup.getPod(saNamespace, podName));
    if (pod === undefined) throw rejected('failed to get pod of identity');
    if (request.namespace !== saNamespace) {
      throw rejected(`requested namespace ${request.namespace} is not the token's namespace`);
    }
    if (pod.serviceAccountName !== saName) throw rejected("the token's service account does not run the pod");

    const expected = expectedIdentity(pod, this.#options.controlPlaneNamespace);
    if (expected.id !== request.id) {
      throw rejected(`requested id ${request.id} does not match the pod's id ${expected.id}`);
    }
    if (expected.controlPlane) return { trustDomain: this.#options.controlPlaneTrustDomain };
    return { trustDomain: await this.#workloadTrustDomain(pod, request.namespace) };
  }

  /** The authenticated username; rejects unauthenticated tokens. */
  async #review(token: string): Promise<string> {
    let status: TokenReviewStatus;
    try {
      status = await this.#options.tokenReviewer(token, this.#audiences);
    } catch (err) {
      if (err instanceof SentryError) throw err;
      throw rejected(`token review failed: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    if (status.error !== '') throw rejected(`invalid token: ${status.error}`);
    if (!status.authenticated) throw rejected('token is not authenticated');
    return status.username;
  }

  /** Lookup failures other than "not found" are transient: the apiserver or cache will answer later. */
  async #lookup<T>(get: () => Promise<T>): Promise<T> {
    try {
      return await get();
    } catch (err) {
      if (err instanceof SentryError) throw err;
      throw new SentryError('unavailable', 'failed to read from the Kubernetes API', { cause: err });
    }
  }

  async #workloadTrustDomain(pod: PodInfo, namespace: string): Promise<string> {
    const configName = pod.annotations[DAPR_ANNOTATIONS.config];
    if (configName === undefined) return DEFAULT_TRUST_DOMAIN;
    const config = await this.#lookup(() => this.#options.lookup.getConfiguration(namespace, configName));
    if (config === undefined) throw rejected(`failed to get configuration ${configName}`);
    const td = config.accessControlTrustDomain;
    if (td === undefined || td === '') return DEFAULT_TRUST_DOMAIN;
    try {
      return parseTrustDomain(td);
    } catch (err) {
      throw rejected(`configuration ${configName} has an invalid trust domain ${JSON.stringify(td)}`, err);
    }
  }
}
