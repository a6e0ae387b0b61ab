// SPIFFE IDs as go-spiffe v2.6.0 (the version daprd 1.18.3 uses) builds and checks them, and
// Dapr's shape on top: exactly `spiffe://<trust-domain>/ns/<namespace>/<app-id>`. daprd adopts
// whatever URI its certificate carries, and peers authorize on it, so these rules are exact.

import { CONTROL_PLANE_APP_IDS } from '../dapr/control-plane.js';

export const SPIFFE_SCHEME = 'spiffe://';

export class SpiffeError extends Error {
  override readonly name = 'SpiffeError';
}

// go-spiffe's character sets (without its opt-in "backcompat" build tag).
const TRUST_DOMAIN_CHAR = /^[a-z0-9._-]$/;
const PATH_SEGMENT_CHAR = /^[A-Za-z0-9._-]$/;

function allChars(text: string, allowed: RegExp): boolean {
  for (const c of text) if (!allowed.test(c)) return false;
  return true;
}

/**
 * A trust domain from a name or a SPIFFE ID (whose trust domain is taken), as
 * go-spiffe's TrustDomainFromString; throws SpiffeError.
 */
export function parseTrustDomain(idOrName: string): string {
  if (idOrName === '') throw new SpiffeError('empty trust domain');
  if (idOrName.includes(':/')) return parseSpiffeId(idOrName).trustDomain;
  if (!allChars(idOrName, TRUST_DOMAIN_CHAR)) {
    throw new SpiffeError(
      `trust domain may contain only lowercase letters, digits, '.', '-' and '_': ${idOrName}`,
    );
  }
  return idOrName;
}

export function validatePathSegment(segment: string): void {
  if (segment === '') throw new SpiffeError('empty path segment');
  if (segment === '.' || segment === '..') throw new SpiffeError(`path segment may not be '${segment}'`);
  if (!allChars(segment, PATH_SEGMENT_CHAR)) {
    throw new SpiffeError(`path segment may contain only letters, digits, '.', '-' and '_': ${segment}`);
  }
}

export interface SpiffeId {
  readonly trustDomain: string;
  /** Path segments without slashes; empty for a trust-domain-only ID. */
  readonly segments: readonly string[];
}

/** Parses any SPIFFE ID (go-spiffe's FromString rules); throws SpiffeError. */
export function parseSpiffeId(id: string): SpiffeId {
  if (id === '') throw new SpiffeError('empty SPIFFE ID');
  if (!id.startsWith(SPIFFE_SCHEME)) throw new SpiffeError(`SPIFFE ID must start with ${SPIFFE_SCHEME}`);
  const rest = id.slice(SPIFFE_SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash < 0 ? rest : rest.slice(0, slash);
  if (trustDomain === '') throw new SpiffeError('SPIFFE ID has no trust domain');
  parseTrustDomain(trustDomain);
  if (slash < 0) return { trustDomain, segments: [] };
  const segments = rest.slice(slash + 1).split('/');
  if (segments[segments.length - 1] === '') throw new SpiffeError('SPIFFE ID path ends with a slash');
  for (const s of segments) validatePathSegment(s);
  return { trustDomain, segments };
}

export interface DaprId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly appId: string;
}

/** `spiffe://<td>/ns/<namespace>/<appId>`, every part checked; throws SpiffeError. */
export function daprSpiffeId(trustDomain: string, namespace: string, appId: string): string {
  if (trustDomain === '' || namespace === '' || appId === '')
    throw new SpiffeError('trust domain, namespace and app id are all required');
  const td = parseTrustDomain(trustDomain);
  validatePathSegment(namespace);
  validatePathSegment(appId);
  return `${SPIFFE_SCHEME}${td}/ns/${namespace}/${appId}`;
}

/** Reads a Dapr identity: a SPIFFE ID with exactly the segments `ns/<namespace>/<appId>`. */
export function parseDaprId(id: string): DaprId {
  const { trustDomain, segments } = parseSpiffeId(id);
  const [ns, namespace, appId, extra] = segments;
  if (ns !== 'ns' || namespace === undefined || appId === undefined || extra !== undefined) {
    throw new SpiffeError(`not a Dapr identity (want spiffe://<td>/ns/<namespace>/<app-id>): ${id}`);
  }
  return { trustDomain, namespace, appId };
}

/** Sentry's own identity: the URI its serving certificate carries and clients authorize. */
export function sentrySpiffeId(controlPlaneTrustDomain: string, controlPlaneNamespace: string): string {
  return daprSpiffeId(controlPlaneTrustDomain, controlPlaneNamespace, CONTROL_PLANE_APP_IDS.sentry);
}
