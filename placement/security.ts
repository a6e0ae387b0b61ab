// Placement's identity: the kit's SVID provider with sentry's CSR builder and SignCertificate
// client plugged in. Placement (like scheduler) uses an Ed25519 key and the app id
// dapr-placement in its own namespace (docs/contracts/placement.md §3).
import type { HealthTarget } from '../kit/health-targets.js';
import type { Logger } from '../kit/logger.js';
import { SecurityProvider, type Signer } from '../kit/security/provider.js';
import { createCsrPem } from '../sentry/ca/csr-builder.js';
import { SentryClient } from '../sentry/server/client.js';
import type { PlacementOptions } from './options.js';

export const PLACEMENT_APP_ID = 'dapr-placement';

/** One SignCertificate call per request (renewals are rare; a fresh channel is simplest). */
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

export function placementSecurity(
  options: PlacementOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
  health: HealthTarget,
): SecurityProvider {
  return new SecurityProvider({
    appId: PLACEMENT_APP_ID,
    namespace: options.namespace,
    trustDomain: options.trustDomain,
    trustAnchorsFile: options.trustAnchorsFile,
    sentryAddress: options.sentryAddress,
    keyAlgorithm: 'ed25519',
    kubernetesMode: options.mode === 'kubernetes',
    env,
    createCsrPem,
    sign: sentrySigner,
    log,
    health,
  });
}
