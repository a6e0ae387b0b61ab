// Reads the pod name from a projected service-account token. The token was already
// authenticated by TokenReview, so its signature is not checked again here. Like upstream's
// parser, a token that is a bare JSON object (what some authenticators and test apiservers
// accept) is read as the claims themselves; otherwise it must be a three-part JWS.
import { jsonDepthProblem } from '../../../kit/json-depth.js';
import { rejected } from '../validator.js';

interface KubernetesClaims {
  readonly 'kubernetes.io'?: { readonly pod?: { readonly name?: unknown } };
}

function decodeSegment(segment: string | undefined): KubernetesClaims | null | string | number | boolean {
  if (segment === undefined || segment === '' || !/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) {
    throw new Error('malformed JWT segment');
  }
  const json = Buffer.from(segment, 'base64url').toString('utf8');
  const tooDeep = jsonDepthProblem(json);
  if (tooDeep !== undefined) throw new Error(tooDeep);
  return JSON.parse(json) as KubernetesClaims | null | string | number | boolean;
}

function jwsClaims(token: string): ReturnType<typeof decodeSegment> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('a JWT has three dot-separated parts');
  decodeSegment(parts[0]); // the header must be JSON too
  return decodeSegment(parts[1]);
}

function plainClaims(token: string): ReturnType<typeof decodeSegment> {
  const tooDeep = jsonDepthProblem(token);
  if (tooDeep !== undefined) throw new Error(tooDeep);
  return JSON.parse(token) as ReturnType<typeof decodeSegment>;
}

/** The `kubernetes.io.pod.name` claim; throws a `validation` SentryError when it is absent. */
export function podNameFromToken(token: string): string {
  let claims: KubernetesClaims;
  try {
    const payload = token.trimStart().startsWith('{') ? plainClaims(token) : jwsClaims(token);
    if (typeof payload !== 'object' || payload === null) throw new Error('claims are not a JSON object');
    claims = payload;
  } catch (err) {
    throw rejected(`failed to parse Kubernetes token: ${(err as Error).message}`, err);
  }
  const name = claims['kubernetes.io']?.pod?.name;
  if (typeof name !== 'string' || name === '') {
    throw rejected('kubernetes.io/pod/name claim is missing from the token');
  }
  return name;
}
