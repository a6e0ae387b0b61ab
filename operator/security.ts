// The operator's identity (docs/contracts/operator.md §2): an RSA SVID for `dapr-operator` (or
// SENTRY_LOCAL_IDENTITY) in its namespace, from the sentry named by daprsystem. RSA because the
// same certificate also serves the conversion webhook to kube-apiserver.
import type { HealthTarget } from '../kit/health-targets.js';
import type { Logger } from '../kit/logger.js';
import { SecurityProvider, type Signer } from '../kit/security/provider.js';
import type { BootstrapSettings } from './bootstrap.js';
import type { OperatorOptions } from './options.js';
import { CONTROL_PLANE_APP_IDS } from '../kit/dapr/control-plane.js';

export interface OperatorSecurityInput {
  readonly options: OperatorOptions;
  readonly bootstrap: BootstrapSettings;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  readonly health: HealthTarget;
  /** Default: SignCertificate to sentry over gRPC (the all-in-one mode signs in-process). */
  readonly sign?: Signer;
}

export function operatorSecurity({
  options,
  bootstrap,
  env,
  log,
  health,
  sign,
}: OperatorSecurityInput): SecurityProvider {
  return new SecurityProvider({
    appId: options.sentryLocalIdentity || CONTROL_PLANE_APP_IDS.operator,
    namespace: options.namespace,
    trustDomain: bootstrap.controlPlaneTrustDomain,
    trustAnchorsFile: options.trustAnchorsFile,
    sentryAddress: bootstrap.sentryAddress,
    keyAlgorithm: 'rsa',
    kubernetesMode: true,
    env,
    ...(sign === undefined ? {} : { sign }),
    log,
    health,
  });
}
