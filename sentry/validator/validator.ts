// A validator decides whether a SignCertificate request may have the identity it asks for, and
// in which trust domain. Each strategy lives in its own folder (insecure/, kubernetes/); the
// rules every strategy shares are in common.ts; fakes for the server's tests are in fake/.
import type { SignCertificateRequest } from '../../kit/proto/sentry.js';
import { SentryError } from '../errors.js';

export interface ValidateResult {
  /** The trust domain of the SPIFFE ID to issue. */
  readonly trustDomain: string;
}

export interface Validator {
  /** Background work (caches to sync, keys to fetch) until `signal` aborts. */
  run(signal: AbortSignal): Promise<void>;
  /**
   * Resolves with the identity's trust domain, or rejects with a SentryError: kind `validation`
   * (the caller gets PermissionDenied with the message) or `unavailable` (worth a retry).
   */
  validate(request: SignCertificateRequest): Promise<ValidateResult>;
}

/** The rejection every validator throws: its message goes back to the caller. */
export function rejected(message: string, cause?: unknown): SentryError {
  return new SentryError('validation', message, cause === undefined ? undefined : { cause });
}
