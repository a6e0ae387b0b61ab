// The jwks validator (docs/contracts/sentry.md §4 "JWKS validator"): the request's token must be a JWT signed
// by a key of the configured JWKS, for sentry's SPIFFE ID as audience and the requested identity
// as subject, with 5 minutes of clock skew. The key set is loaded at start (the validator is not
// ready until then) and refreshed every minRefreshInterval for URL and file sources.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import type { HealthTarget } from '../../../kit/health-targets.js';
import { parseGoDuration } from '../../../kit/go-values.js';
import { abortableDelay } from '../../../kit/kubernetes/list-watch.js';
import type { Logger } from '../../../kit/logger.js';
import { untilAborted } from '../../../kit/runner.js';
import { daprSpiffeId, SpiffeError } from '../../../kit/security/spiffe.js';
import { parseJwks } from '../../jwt/keys.js';
import type { SignCertificateRequest } from '../../../kit/proto/sentry.js';
import { validateCommon } from '../common.js';
import { rejected, type ValidateResult, type Validator } from '../validator.js';
import { classifySource, readSource, type JwksSource } from './source.js';

export const DEFAULT_MIN_REFRESH_MS = 10 * 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const CLOCK_SKEW_S = 5 * 60;
/** How long a request waits for the first key set before "jwks validator not ready". */
const READY_WAIT_MS = 5_000;
const RETRY_MS = 2_000;

export interface JwksValidatorOptions {
  readonly source: string;
  readonly caCertificate?: string;
  readonly minRefreshMs: number;
  readonly requestTimeoutMs: number;
}

/** Thrown for tokenValidators[].options that cannot be used; sentry stops with the message. */
export class JwksOptionsError extends Error {
  override readonly name = 'JwksOptionsError';
}

/** A duration option: Go syntax (`2m`) or whole seconds (`120`). */
function durationOption(options: Record<string, unknown>, name: string, fallback: number): number {
  const value = options[name];
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'number' && Number.isInteger(value)) return value * 1000;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    try {
      return parseGoDuration(value);
    } catch (err) {
      throw new JwksOptionsError(`jwks validator option ${name}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new JwksOptionsError(`jwks validator option ${name} must be a duration`);
}

/** Reads `tokenValidators[].options` of the jwks entry. */
export function jwksValidatorOptions(raw: unknown): JwksValidatorOptions {
  const options = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const source = options.source;
  if (typeof source !== 'string' || source.trim() === '') {
    throw new JwksOptionsError('the jwks validator needs the option "source"');
  }
  const ca = options.caCertificate;
  if (ca !== undefined && typeof ca !== 'string')
    throw new JwksOptionsError('caCertificate must be a string');
  const minRefresh = durationOption(options, 'minRefreshInterval', DEFAULT_MIN_REFRESH_MS);
  const timeout = durationOption(options, 'requestTimeout', DEFAULT_REQUEST_TIMEOUT_MS);
  return {
    source,
    ...(ca ? { caCertificate: ca } : {}),
    // Upstream ignores values at or below 1 s (refresh) and 1 ms (timeout).
    minRefreshMs: minRefresh > 1000 ? minRefresh : DEFAULT_MIN_REFRESH_MS,
    requestTimeoutMs: timeout > 1 ? timeout : DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

export interface JwksValidatorDeps {
  readonly options: JwksValidatorOptions;
  /** sentry's SPIFFE ID: the audience every token must carry. */
  readonly sentryId: string;
  readonly health?: HealthTarget;
  readonly log: Logger;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/** jose's claim errors already name the claim ("exp", "nbf", "aud", "sub"); key errors do not. */
function tokenFailure(err: unknown): string {
  if (
    err instanceof joseErrors.JWSSignatureVerificationFailed ||
    err instanceof joseErrors.JWKSNoMatchingKey ||
    err instanceof joseErrors.JWKSMultipleMatchingKeys
  ) {
    return 'could not verify message using any of the signatures or keys';
  }
  return (err as Error).message;
}

export class JwksValidator implements Validator {
  readonly #deps: JwksValidatorDeps;
  #keys: KeyResolver | undefined;
  readonly #waiters = new Set<() => void>();

  constructor(deps: JwksValidatorDeps) {
    this.#deps = deps;
  }

  async #load(source: JwksSource, signal: AbortSignal): Promise<void> {
    const { options } = this.#deps;
    const json = await readSource(source, {
      ...(options.caCertificate ? { caCertificate: options.caCertificate } : {}),
      timeoutMs: options.requestTimeoutMs,
      signal,
    });
    const keys = parseJwks(json);
    this.#keys = createLocalJWKSet({ keys } as unknown as JSONWebKeySet);
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  async run(signal: AbortSignal): Promise<void> {
    const { options, log, health } = this.#deps;
    let source: JwksSource;
    try {
      source = await classifySource(options.source);
    } catch (err) {
      throw new JwksOptionsError(`jwks validator: ${(err as Error).message}`, { cause: err });
    }
    while (!signal.aborted) {
      try {
        await this.#load(source, signal);
        health?.ready();
        if (source.kind === 'inline') break;
        await abortableDelay(options.minRefreshMs, signal);
      } catch (err) {
        if (signal.aborted) break;
        log.warn({ error: err }, 'Failed to load the JWKS for the jwks validator; retrying');
        await abortableDelay(this.#keys === undefined ? RETRY_MS : options.minRefreshMs, signal);
      }
    }
    await untilAborted(signal);
    health?.notReady();
  }

  #ready(): Promise<KeyResolver | undefined> {
    if (this.#keys !== undefined) return Promise.resolve(this.#keys);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(this.#keys);
      };
      const timer = setTimeout(wake, READY_WAIT_MS);
      this.#waiters.add(wake);
    });
  }

  async validate(request: SignCertificateRequest): Promise<ValidateResult> {
    if (request.token === '') throw rejected('the request does not contain a token');
    const keys = await this.#ready();
    if (keys === undefined) throw rejected('jwks validator not ready');
    const trustDomain = validateCommon(request);
    let subject: string;
    try {
      subject = daprSpiffeId(trustDomain, request.namespace, request.id);
    } catch (err) {
      if (err instanceof SpiffeError) {
        throw rejected(`failed to construct SPIFFE ID for requestor: ${err.message}`, err);
      }
      throw err;
    }
    try {
      await jwtVerify(request.token, keys, {
        audience: this.#deps.sentryId,
        subject,
        clockTolerance: CLOCK_SKEW_S,
      });
    } catch (err) {
      throw rejected(`token validation failed: ${tokenFailure(err)}`, err);
    }
    return { trustDomain };
  }
}
