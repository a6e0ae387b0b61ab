// Placement's identity: the kit's SVID provider (its CSR builder and SignCertificate client
// included). Placement (like scheduler) uses an Ed25519 key and the app id dapr-placement in its
// own namespace (docs/contracts/placement.md §3).
import type { HealthTarget } from '../kit/health-targets.js';
import type { Logger } from '../kit/logger.js';
import { SecurityProvider, type Signer } from '../kit/security/provider.js';
import type { PlacementOptions } from './options.js';
import { CONTROL_PLANE_APP_IDS } from '../kit/dapr/control-plane.js';

// eslint-disable-next-line max-params -- the service's inputs, plus the signer the all-in-one mode replaces
export function placementSecurity(
  options: PlacementOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
  health: HealthTarget,
  sign?: Signer,
): SecurityProvider {
  return new SecurityProvider({
    appId: CONTROL_PLANE_APP_IDS.placement,
    namespace: options.namespace,
    trustDomain: options.trustDomain,
    trustAnchorsFile: options.trustAnchorsFile,
    sentryAddress: options.sentryAddress,
    keyAlgorithm: 'ed25519',
    kubernetesMode: options.mode === 'kubernetes',
    env,
    ...(sign === undefined ? {} : { sign }),
    log,
    health,
  });
}
