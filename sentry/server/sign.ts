// SignCertificate as a function of the request: choose the validator, validate, read the CSR,
// add the control-plane DNS names, sign (docs/contracts/sentry.md §1, in upstream's order). No gRPC here: the
// server wraps it, and tests call it directly with fakes.
import { SentryError } from '../errors.js';
import type { IdentitySigner } from '../ca/ca.js';
import { readCsr } from '../ca/csr.js';
import { controlPlaneDnsNames } from '../ca/profile.js';
import {
  TokenValidator,
  type SignCertificateRequest,
  type SignCertificateResponse,
} from '../../kit/proto/sentry.js';
import type { Validator } from '../validator/validator.js';
import type { JwtIssuer } from '../jwt/issuer.js';
import { isControlPlaneAppId } from '../../kit/dapr/control-plane.js';

/** A control-plane service of sentry's own process asking for its SVID. */
export interface InProcessSignRequest {
  readonly id: string;
  readonly namespace: string;
  readonly trustDomain: string;
  readonly csrPem: Buffer;
  /** Sentry's --trust-domain: the only one it signs control-plane ids in. */
  readonly controlPlaneTrustDomain: string;
}

/** Each audience costs a signature: bound what one request can ask for. */
export const MAX_JWT_AUDIENCES = 64;

export interface SignServiceOptions {
  /** Enabled validators, by TokenValidator value. */
  readonly validators: ReadonlyMap<number, Validator>;
  /** Used when a request says UNKNOWN; UNKNOWN itself when there is no default. */
  readonly defaultValidator: number;
  /** The current CA; undefined while none is loaded (callers get UNAVAILABLE and retry). */
  readonly ca: () => IdentitySigner | undefined;
  /** Sentry's namespace: control-plane ids there get their DNS names. */
  readonly controlPlaneNamespace: string;
  /** For the scheduler's DNS names. */
  readonly clusterDomain: string;
  /** With --jwt-enabled: the responses also carry JWT-SVIDs. */
  readonly jwt?: JwtIssuer;
}

export class SignService {
  readonly #options: SignServiceOptions;

  constructor(options: SignServiceOptions) {
    this.#options = options;
  }

  #validator(requested: number): Validator {
    const chosen = requested === TokenValidator.UNKNOWN ? this.#options.defaultValidator : requested;
    if (chosen === TokenValidator.UNKNOWN) {
      throw new SentryError('noValidator', 'a validator name must be specified in this environment');
    }
    const validator = this.#options.validators.get(chosen);
    if (validator === undefined)
      throw new SentryError('validatorNotEnabled', 'the requested validator is not enabled');
    return validator;
  }

  async sign(request: SignCertificateRequest): Promise<SignCertificateResponse> {
    if (this.#options.jwt !== undefined && request.jwtAudiences.length > MAX_JWT_AUDIENCES) {
      throw new SentryError('validation', `at most ${MAX_JWT_AUDIENCES} JWT audiences may be requested`);
    }
    const { trustDomain } = await this.#validator(request.tokenValidator).validate(request);
    return this.#issue(request, trustDomain);
  }

  /**
   * For a caller in sentry's own process (the all-in-one mode's placement, operator and
   * injector): no token, as no one outside the process reaches this path, and so only the
   * control-plane ids in sentry's namespace and trust domain.
   */
  async signInProcess(request: InProcessSignRequest): Promise<SignCertificateResponse> {
    if (!isControlPlaneAppId(request.id) || request.namespace !== this.#options.controlPlaneNamespace) {
      throw new SentryError(
        'validation',
        `in-process signing is for the control plane only, not ${request.namespace}/${request.id}`,
      );
    }
    if (request.trustDomain !== request.controlPlaneTrustDomain) {
      throw new SentryError(
        'validation',
        `trust domain ${request.trustDomain} is not the control plane's (${request.controlPlaneTrustDomain})`,
      );
    }
    return this.#issue(
      {
        id: request.id,
        namespace: request.namespace,
        trustDomain: request.trustDomain,
        token: '',
        tokenValidator: TokenValidator.UNKNOWN,
        certificateSigningRequest: request.csrPem,
        jwtAudiences: [],
      },
      request.trustDomain,
    );
  }

  async #issue(request: SignCertificateRequest, trustDomain: string): Promise<SignCertificateResponse> {
    const csr = await readCsr(request.certificateSigningRequest);
    const ca = this.#options.ca();
    if (ca === undefined) throw new SentryError('unavailable', 'the certificate authority is not ready');
    const signed = await ca.signIdentity({
      spki: csr.spki,
      trustDomain,
      namespace: request.namespace,
      appId: request.id,
      dnsNames: controlPlaneDnsNames({
        appId: request.id,
        namespace: request.namespace,
        sentryNamespace: this.#options.controlPlaneNamespace,
        clusterDomain: this.#options.clusterDomain,
      }),
    });
    const response: SignCertificateResponse = {
      workloadCertificate: signed.chainPem,
      trustChainCertificates: [ca.trustAnchorsPem],
      validUntil: signed.notAfter,
    };
    const { jwt } = this.#options;
    if (jwt === undefined) return response;
    try {
      const tokens = await jwt.issueForResponse(
        { trustDomain, namespace: request.namespace, appId: request.id },
        request.jwtAudiences,
      );
      return { ...response, jwt: tokens.jwt, perAudienceJwts: tokens.perAudienceJwts };
    } catch (err) {
      throw new SentryError('sign', `failed to generate JWT: ${(err as Error).message}`, { cause: err });
    }
  }
}
