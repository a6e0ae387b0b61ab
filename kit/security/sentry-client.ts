// The SignCertificate client of our own control-plane services (and of tests): TLS to sentry,
// trusting the anchors and authorizing sentry by its exact SPIFFE ID (hostname is ignored, as
// go-spiffe clients ignore it).
import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { CA_SERVICE, type SignCertificateRequest, type SignCertificateResponse } from '../proto/sentry.js';
import type { Signer } from './provider.js';
import { checkOnlyUriSan } from './subject-alt-names.js';

export interface SentryClientOptions {
  /** host:port */
  readonly address: string;
  readonly trustAnchorsPem: Buffer;
  /** The only identity the server may have: spiffe://<cp-td>/ns/<cp-ns>/dapr-sentry. */
  readonly sentryId: string;
}

type CaClient = Client & {
  SignCertificate(
    request: SignCertificateRequest,
    callback: (err: ServiceError | null, response?: SignCertificateResponse) => void,
  ): void;
};

const CaClientConstructor = makeGenericClientConstructor(CA_SERVICE, 'CA');

/**
 * A TLS server check: the peer certificate's only URI SAN must be `spiffeId` (sentry's, or
 * placement's for daprd-like clients); undefined when it is. Read from the certificate's DER,
 * not Node's subjectaltname text (see kit/security/subject-alt-names.ts).
 */
export function checkServerSpiffeId(cert: PeerCertificate, spiffeId: string): Error | undefined {
  return checkOnlyUriSan(cert.raw, spiffeId);
}

export class SentryClient {
  readonly #client: CaClient;

  constructor(options: SentryClientOptions) {
    const creds = credentials.createSsl(options.trustAnchorsPem, null, null, {
      checkServerIdentity: (_host, cert) => checkServerSpiffeId(cert, options.sentryId),
    });
    // SNI carries no meaning to sentry; a name (not the IP of the address) keeps Node quiet.
    this.#client = new CaClientConstructor(options.address, creds, {
      'grpc.ssl_target_name_override': 'dapr-sentry',
    }) as unknown as CaClient;
  }

  signCertificate(request: SignCertificateRequest): Promise<SignCertificateResponse> {
    return new Promise((resolve, reject) => {
      this.#client.SignCertificate(request, (err, response) => {
        if (err) reject(err);
        else if (response === undefined) reject(new Error('empty response'));
        else resolve(response);
      });
    });
  }

  close(): void {
    this.#client.close();
  }
}

/** The provider's Signer: one call per request (renewals are rare; a fresh channel is simplest). */
export const sentrySigner: Signer = async (request, connection) => {
  const client = new SentryClient(connection);
  try {
    const response = await client.signCertificate({
      id: request.id,
      namespace: request.namespace,
      trustDomain: request.trustDomain,
      token: request.token,
      tokenValidator: request.tokenValidator,
      certificateSigningRequest: request.csrPem,
      jwtAudiences: [],
    });
    return { workloadCertificate: response.workloadCertificate };
  } finally {
    client.close();
  }
};
