// Who is calling a control-plane gRPC server over mTLS: the namespace and app-id of the SPIFFE ID
// in the client certificate's single URI SAN, spiffe://<td>/ns/<namespace>/<app-id>[/...]. The
// trust domain is not checked here (daprd's is `public` or its Configuration's), and the chain
// was verified by TLS already. Placement and the operator authorize on this.
import { parseSpiffeId } from './spiffe.js';

export interface WorkloadCaller {
  readonly namespace: string;
  readonly appId: string;
}

/**
 * Reads the caller from a peer certificate's subjectaltname as Node prints it (e.g.
 * `DNS:x, URI:spiffe://public/ns/default/myapp`): exactly one URI SAN, a valid SPIFFE ID with a
 * path /ns/<namespace>/<app-id>; anything else is undefined.
 */
export function callerFromSubjectAltName(san: string | undefined): WorkloadCaller | undefined {
  if (san === undefined || san === '') return undefined;
  const uris = san
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice(4));
  if (uris.length !== 1) return undefined;
  try {
    const [ns, namespace, appId] = parseSpiffeId(uris[0]!).segments;
    if (ns !== 'ns' || !namespace || !appId) return undefined;
    return { namespace, appId };
  } catch {
    return undefined;
  }
}
