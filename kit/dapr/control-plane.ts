// The control plane's services by the names Dapr gives them: the key is the value a control-plane
// pod carries in its dapr.io/control-plane annotation, the value is the app id its certificate
// names (the last segment of spiffe://<td>/ns/<namespace>/<app-id>). Sentry (validator, DNS
// names, its own identity), the security provider and each service's own identity read them here.
export const CONTROL_PLANE_APP_IDS = {
  operator: 'dapr-operator',
  placement: 'dapr-placement',
  injector: 'dapr-injector',
  sentry: 'dapr-sentry',
  scheduler: 'dapr-scheduler',
} as const;

/** The control plane's trust domain when its Configuration names none (operator, injector). */
export const DEFAULT_CONTROL_PLANE_TRUST_DOMAIN = 'cluster.local';

export type ControlPlaneService = keyof typeof CONTROL_PLANE_APP_IDS;

/** The app id of a dapr.io/control-plane annotation's value, or undefined for an unknown one. */
export function controlPlaneAppId(service: string): string | undefined {
  return Object.hasOwn(CONTROL_PLANE_APP_IDS, service)
    ? CONTROL_PLANE_APP_IDS[service as ControlPlaneService]
    : undefined;
}

const APP_IDS: ReadonlySet<string> = new Set(Object.values(CONTROL_PLANE_APP_IDS));

/** Whether an app id is one of the control plane's own. */
export function isControlPlaneAppId(appId: string): boolean {
  return APP_IDS.has(appId);
}
