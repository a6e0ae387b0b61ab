// The closed set of ways a SignCertificate call can fail. Validators and the CA throw only these;
// server/status.ts alone turns a kind into a gRPC code, so the mapping lives in one place.

export type SentryErrorKind =
  /** The request named no validator and the server has no default (self-hosted jwks-only). */
  | 'noValidator'
  /** The request named a validator this server does not run. */
  | 'validatorNotEnabled'
  /** The validator rejected the request: its message goes back to the caller. */
  | 'validation'
  /** A dependency (e.g. the apiserver's TokenReview) is briefly unreachable: worth a retry. */
  | 'unavailable'
  /** The CSR is not a PEM block of type CERTIFICATE REQUEST (or legacy CERTIFICATE). */
  | 'invalidCsr'
  /** The CSR's DER does not parse. */
  | 'csrParse'
  /** The CSR's self-signature does not verify. */
  | 'csrSignature'
  /** Issuing failed, e.g. an app id that is not a legal SPIFFE path segment. */
  | 'sign';

export class SentryError extends Error {
  override readonly name = 'SentryError';

  constructor(
    readonly kind: SentryErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isSentryError(err: unknown): err is SentryError {
  return err instanceof SentryError;
}
