// The operator's bootstrap settings (docs/contracts/operator.md §5.1): the Configuration named by --config
// (`daprsystem`) in the operator's namespace gives sentry's address and the control-plane trust
// domain. Upstream refuses to start without it.
import type { KubeApi } from '../kit/kubernetes/client.js';
import { configurationPath } from '../kit/dapr/resources.js';
import { DEFAULT_CONTROL_PLANE_TRUST_DOMAIN } from '../kit/dapr/control-plane.js';

export interface BootstrapSettings {
  readonly sentryAddress: string;
  readonly controlPlaneTrustDomain: string;
}

export function defaultSentryAddress(namespace: string): string {
  return `dapr-sentry.${namespace}.svc.cluster.local:443`;
}

interface MtlsSpec {
  readonly sentryAddress?: unknown;
  readonly controlPlaneTrustDomain?: unknown;
}

/** Settings from a Configuration object's spec.mtls, with upstream's defaults for empty fields. */
export function bootstrapFromConfiguration(object: unknown, namespace: string): BootstrapSettings {
  const mtls: MtlsSpec = (object as { spec?: { mtls?: MtlsSpec } } | null)?.spec?.mtls ?? {};
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return {
    sentryAddress: text(mtls.sentryAddress) || defaultSentryAddress(namespace),
    controlPlaneTrustDomain: text(mtls.controlPlaneTrustDomain) || DEFAULT_CONTROL_PLANE_TRUST_DOMAIN,
  };
}

/** Reads the bootstrap Configuration; rejects (fatal for the process) when it cannot. */
export async function loadBootstrap(
  api: KubeApi,
  namespace: string,
  configName: string,
  signal?: AbortSignal,
): Promise<BootstrapSettings> {
  const path = configurationPath(namespace, configName);
  let object: unknown;
  try {
    object = await api.request<unknown>(path, { signal });
  } catch (err) {
    throw new Error(
      `error loading configuration ${namespace}/${configName}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  return bootstrapFromConfiguration(object, namespace);
}
