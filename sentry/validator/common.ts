// The request rules every validator applies first (docs/contracts/sentry.md §4 "Common checks"). Each rule is a
// named predicate returning its reason; all of them run, so a request learns every problem at once.
import type { SignCertificateRequest } from '../../kit/proto/sentry.js';
import { parseTrustDomain, SpiffeError } from '../../kit/security/spiffe.js';
import { rejected } from './validator.js';

/** A rule returns why the request breaks it, or undefined. */
export type RequestRule = (request: SignCertificateRequest) => string | undefined;

export const idIsRequired: RequestRule = (r) => (r.id === '' ? 'id is required' : undefined);

export const idHasNoDots: RequestRule = (r) => (r.id.includes('.') ? 'id must not contain dots' : undefined);

/** Counted in bytes, as Go's len() counts. */
export const idAtMost64Chars: RequestRule = (r) =>
  Buffer.byteLength(r.id, 'utf8') > 64 ? 'app ID must be 64 characters or less' : undefined;

export const csrIsRequired: RequestRule = (r) =>
  r.certificateSigningRequest.length === 0 ? 'CSR is required' : undefined;

export const namespaceIsRequired: RequestRule = (r) =>
  r.namespace === '' ? 'namespace is required' : undefined;

export const COMMON_RULES: readonly RequestRule[] = [
  idIsRequired,
  idHasNoDots,
  idAtMost64Chars,
  csrIsRequired,
  namespaceIsRequired,
];

/** Every reason the request breaks the common rules (empty when it keeps them all). */
export function commonViolations(request: SignCertificateRequest): string[] {
  return COMMON_RULES.map((rule) => rule(request)).filter((reason): reason is string => reason !== undefined);
}

/** The trust domain a request asks for: its own, or `public` when it names none. */
export const DEFAULT_TRUST_DOMAIN = 'public';

/**
 * Applies the common rules and returns the requested trust domain (which must parse, even for
 * validators that then ignore it, as upstream). Throws a `validation` SentryError.
 */
export function validateCommon(request: SignCertificateRequest): string {
  const violations = commonViolations(request);
  if (violations.length > 0) throw rejected(`invalid request: ${violations.join('; ')}`);
  try {
    return parseTrustDomain(request.trustDomain === '' ? DEFAULT_TRUST_DOMAIN : request.trustDomain);
  } catch (err) {
    if (err instanceof SpiffeError) throw rejected(`invalid trust domain: ${err.message}`, err);
    throw err;
  }
}
