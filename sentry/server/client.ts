// A SignCertificate client for tests and for our own control-plane services: TLS to sentry,
// trusting the anchors and authorizing sentry by its exact SPIFFE ID (hostname is ignored, as
// go-spiffe clients ignore it).
import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { CA_SERVICE } from './server.js';
import { checkOnlyUriSan } from '../../kit/security/subject-alt-names.js';
import type { SignCertificateRequest, SignCertificateResponse } from '../proto/sentry.js';

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
 * The server certificate's only URI SAN must be the expected id; undefined when it is. Read from
 * the certificate's DER, not Node's subjectaltname text (see kit/security/subject-alt-names.ts).
 */
export function checkSentryIdentity(cert: PeerCertificate, sentryId: string): Error | undefined {
  return checkOnlyUriSan(cert.raw, sentryId);
}

export class SentryClient {
  readonly #client: CaClient;

  constructor(options: SentryClientOptions) {
    const creds = credentials.createSsl(options.trustAnchorsPem, null, null, {
      checkServerIdentity: (_host, cert) => checkSentryIdentity(cert, options.sentryId),
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
