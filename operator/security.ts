// The operator's identity: an SVID from sentry for `dapr-operator` in its namespace, with an RSA
// key because the same certificate serves the conversion webhook to kube-apiserver (operator.md
// §2; some distributions refuse Ed25519 serving certificates). Sentry adds the DNS SAN
// dapr-webhook.<ns>.svc for this id.
import type { HealthTarget } from '../kit/health-targets.js';
import type { Logger } from '../kit/logger.js';
import { SecurityProvider } from '../kit/security/provider.js';
import { sentrySigner } from '../placement/security.js';
import { createCsrPem } from '../sentry/ca/csr-builder.js';
import type { BootstrapConfig } from './bootstrap-config.js';
import type { OperatorOptions } from './options.js';

export const OPERATOR_APP_ID = 'dapr-operator';

export function operatorSecurity(
  options: OperatorOptions,
  config: BootstrapConfig,
  env: NodeJS.ProcessEnv,
  log: Logger,
  health: HealthTarget,
): SecurityProvider {
  return new SecurityProvider({
    appId: options.sentryLocalIdentity ?? OPERATOR_APP_ID,
    namespace: options.namespace,
    trustDomain: config.controlPlaneTrustDomain,
    trustAnchorsFile: options.trustAnchorsFile,
    sentryAddress: config.sentryAddress,
    keyAlgorithm: 'rsa',
    kubernetesMode: true,
    env,
    createCsrPem,
    sign: sentrySigner,
    log,
    health,
  });
}
