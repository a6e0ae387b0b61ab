// The injector's identity (docs/contracts/injector-and-chart.md §4): an SVID from sentry for `dapr-injector` in
// the control-plane namespace, with an RSA key because some cloud apiservers refuse Ed25519
// webhook serving certificates. Sentry adds the DNS name dapr-sidecar-injector.<ns>.svc that the
// apiserver checks. The provider re-reads the trust anchors file and renews at half-life.
import type { HealthTarget } from '../kit/health-targets.js';
import type { Logger } from '../kit/logger.js';
import { SecurityProvider, type Signer } from '../kit/security/provider.js';
import { sentrySigner } from '../kit/security/sentry-client.js';
import type { InjectorOptions } from './options.js';
import { CONTROL_PLANE_APP_IDS } from '../kit/dapr/control-plane.js';

/** The DNS name sentry puts in the injector's certificate, and the apiserver dials. */
export function injectorServiceDnsName(namespace: string): string {
  return `dapr-sidecar-injector.${namespace}.svc`;
}

/** Upstream's default when DAPR_SENTRY_ADDRESS is unset. */
export function defaultSentryAddress(namespace: string): string {
  return `dapr-sentry.${namespace}.svc.cluster.local:443`;
}

// eslint-disable-next-line max-params -- the service's inputs, plus the signer tests replace
export function injectorSecurity(
  options: InjectorOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
  health: HealthTarget,
  sign: Signer = sentrySigner,
): SecurityProvider {
  const e = options.env;
  return new SecurityProvider({
    appId: CONTROL_PLANE_APP_IDS.injector,
    namespace: e.namespace,
    trustDomain: e.controlPlaneTrustDomain,
    trustAnchorsFile: e.trustAnchorsFile,
    sentryAddress: e.sentryAddress !== '' ? e.sentryAddress : defaultSentryAddress(e.namespace),
    keyAlgorithm: 'rsa',
    kubernetesMode: true,
    env,
    sign,
    log,
    health,
    requiredDnsNames: [injectorServiceDnsName(e.namespace)],
  });
}
