// Who is calling a control-plane gRPC server over mTLS: the namespace and app-id of the SPIFFE ID
// in the client certificate's single URI SAN, exactly spiffe://<td>/ns/<namespace>/<app-id>. The
// trust domain is not checked here (daprd's is `public` or its Configuration's), and the chain
// was verified by TLS already. Placement and the operator authorize on this.
import { daprIdOfCertificate } from './subject-alt-names.js';

export interface WorkloadCaller {
  readonly namespace: string;
  readonly appId: string;
}

/** What grpc-js and node:tls give of the peer certificate: its DER is what counts. */
export interface PeerCertificateDer {
  readonly raw?: Buffer;
}

/**
 * Reads the caller from the peer certificate's DER (never Node's subjectaltname text, where a
 * DNS name holding ", URI:..." passes for a URI entry): exactly one URI SAN, a Dapr SPIFFE ID;
 * anything else is undefined.
 */
export function callerFromCertificate(cert: PeerCertificateDer | undefined): WorkloadCaller | undefined {
  const id = daprIdOfCertificate(cert?.raw);
  return id === undefined ? undefined : { namespace: id.namespace, appId: id.appId };
}
