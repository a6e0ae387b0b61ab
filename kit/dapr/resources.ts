// Dapr's own Kubernetes resources as the control plane reads them: the API group, and the
// Configuration that sentry and the operator read by --config and the injector reads for the
// mTLS switch.

export const DAPR_API_GROUP = 'dapr.io';

/** The Configuration the chart installs in the control-plane namespace (--config's default). */
export const DAPR_SYSTEM_CONFIGURATION = 'daprsystem';

/** The apiserver path of one dapr.io/v1alpha1 Configuration. */
export function configurationPath(namespace: string, name: string): string {
  const ns = encodeURIComponent(namespace);
  return `/apis/${DAPR_API_GROUP}/v1alpha1/namespaces/${ns}/configurations/${encodeURIComponent(name)}`;
}
