// daprd's environment, in upstream's order (docs/contracts/injector-and-chart.md §3.4).
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import type { EnvVar } from './k8s-types.js';

export const COMPONENTS_SOCKETS_FOLDER_ENV = 'DAPR_COMPONENT_SOCKETS_FOLDER';

/**
 * Env entries as Go marshals them: `value` and the secret's `name` are omitempty, so an empty
 * string is left out (the decoded pod is the same either way; the JSON then matches upstream's).
 */
export function literalEnv(name: string, value: string): EnvVar {
  return value === '' ? { name } : { name, value };
}

function secretEnv(name: string, secret: string, key: string): EnvVar {
  return { name, valueFrom: { secretKeyRef: secret === '' ? { key } : { name: secret, key } } };
}

/** dapr.io/env then dapr.io/env-from-secret, and DAPR_ENV_KEYS naming all their keys. */
function userEnv(c: SidecarConfig): EnvVar[] {
  const plain = c.env;
  const secret = c.envFromSecret;
  const out: EnvVar[] = plain.map(({ key, value }) => literalEnv(key, value));
  for (const { name, secretKeyRef: ref } of secret) {
    if (ref !== undefined) out.push(secretEnv(name, ref.name, ref.key));
  }
  const keys = [...plain.map((e) => e.key), ...secret.map((e) => e.name)];
  if (keys.length > 0) out.push(literalEnv('DAPR_ENV_KEYS', keys.join(' ')));
  return out;
}

export function daprdEnv(c: SidecarConfig): EnvVar[] {
  const out: EnvVar[] = [
    literalEnv('NAMESPACE', c.request.namespace),
    literalEnv('DAPR_TRUST_ANCHORS', c.request.trustAnchors),
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    literalEnv('DAPR_CONTROLPLANE_NAMESPACE', c.injector.controlPlaneNamespace),
    literalEnv('DAPR_CONTROLPLANE_TRUST_DOMAIN', c.injector.controlPlaneTrustDomain),
  ];
  if (c.injector.enableK8sDownwardApis) {
    out.push({ name: 'DAPR_HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  }
  out.push(...userEnv(c));
  if (c.usesPluggableComponents)
    out.push(literalEnv(COMPONENTS_SOCKETS_FOLDER_ENV, c.componentsSocketsFolder));
  if (c.annotations.apiTokenSecret !== '')
    out.push(secretEnv('DAPR_API_TOKEN', c.annotations.apiTokenSecret, 'token'));
  if (c.annotations.appTokenSecret !== '')
    out.push(secretEnv('APP_API_TOKEN', c.annotations.appTokenSecret, 'token'));
  return out;
}
