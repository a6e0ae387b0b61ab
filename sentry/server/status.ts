// The one place a SignCertificate failure becomes a gRPC status (docs/contracts/sentry.md §1 "Errors"). A bare
// Error never reaches grpc-js, which would send it as UNKNOWN with its raw message: anything
// outside the closed set of kinds becomes INTERNAL with opaque text, and is logged in full.
import { status } from '@grpc/grpc-js';
import { isSentryError, type SentryErrorKind } from '../errors.js';

export interface Status {
  readonly code: status;
  /** The text the caller sees. */
  readonly details: string;
  /** The `reason` label of dapr_sentry_cert_sign_failure_total (upstream always says `sign`). */
  readonly reason: string;
  /** False for failures that are not the caller's doing: log them at error level. */
  readonly expected: boolean;
}

const CODES: Readonly<Record<SentryErrorKind, status>> = {
  noValidator: status.INVALID_ARGUMENT,
  validatorNotEnabled: status.INVALID_ARGUMENT,
  validation: status.PERMISSION_DENIED,
  unavailable: status.UNAVAILABLE,
  invalidCsr: status.INVALID_ARGUMENT,
  csrParse: status.INVALID_ARGUMENT,
  csrSignature: status.INVALID_ARGUMENT,
  sign: status.INTERNAL,
};

export const FAILURE_REASON = 'sign';

export function toStatus(err: unknown): Status {
  if (!isSentryError(err)) {
    return { code: status.INTERNAL, details: 'internal error', reason: FAILURE_REASON, expected: false };
  }
  return {
    code: CODES[err.kind],
    details: err.message,
    reason: FAILURE_REASON,
    expected: err.kind !== 'sign',
  };
}
