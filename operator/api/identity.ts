// Who is calling (operator.md §1.4): the namespace and app-id from the SPIFFE ID in the client
// certificate's single URI SAN, path /ns/<namespace>/<app-id>[/...]. The trust domain is not
// checked (daprd's is `public` or its Configuration's); the chain was verified by TLS already.
import { parseSpiffeId } from '../../sentry/spiffe.js';

export interface Caller {
  readonly namespace: string;
  readonly appId: string;
}

/** From Node's subjectaltname text (`DNS:x, URI:spiffe://…`); undefined when not a valid workload id. */
export function callerFromSubjectAltName(san: string | undefined): Caller | undefined {
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
