// The operator's bootstrap Configuration (operator.md §5.1): `--config` (default daprsystem) in
// its own namespace, read once at startup with a direct API call. Missing is fatal. Only the
// sentry address and the control-plane trust domain are used, with the chart's defaults.
import type { KubeApi } from '../kit/kubernetes/client.js';

export interface BootstrapConfig {
  readonly sentryAddress: string;
  readonly controlPlaneTrustDomain: string;
}

interface ConfigurationObject {
  readonly spec?: {
    readonly mtls?: { readonly sentryAddress?: string; readonly controlPlaneTrustDomain?: string };
  };
}

export function defaultSentryAddress(namespace: string): string {
  return `dapr-sentry.${namespace}.svc.cluster.local:443`;
}

export async function readBootstrapConfig(
  api: KubeApi,
  namespace: string,
  name: string,
): Promise<BootstrapConfig> {
  let config: ConfigurationObject;
  try {
    config = await api.request<ConfigurationObject>(
      `/apis/dapr.io/v1alpha1/namespaces/${namespace}/configurations/${name}`,
    );
  } catch (err) {
    throw new Error(
      `unable to load the configuration ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const mtls = config.spec?.mtls;
  return {
    sentryAddress: mtls?.sentryAddress || defaultSentryAddress(namespace),
    controlPlaneTrustDomain: mtls?.controlPlaneTrustDomain || 'cluster.local',
  };
}
