// An app id names its `<app-id>-dapr` Service, so that name must be a DNS-1123 label: the
// injector denies a pod whose app id fails it, the operator skips such a workload. Each says
// why in its own words (upstream's two messages differ); the rule is this one.

/** The longest DNS-1123 label Kubernetes accepts. */
export const DNS1123_LABEL_MAX_LENGTH = 63;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The Service the operator creates for an app: `<app-id>-dapr`. */
export function daprServiceName(appId: string): string {
  return `${appId}-dapr`;
}

/** Lower-case letters, digits and '-', alphanumeric at both ends, at most 63 characters. */
export function isDns1123Label(name: string): boolean {
  // The length first: the pattern then never runs on more than 63 characters.
  return name.length <= DNS1123_LABEL_MAX_LENGTH && DNS1123_LABEL.test(name);
}
