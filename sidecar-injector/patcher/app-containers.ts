// What the injector adds to the pod's own containers (docs/contracts/injector-and-chart.md §1.5 rows 9–11):
// the Dapr ports and protocol for app containers, the UDS mount, and the socket folder for
// pluggable component containers. Existing variables and mounts are never overridden.
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import type { Container, EnvVar, PatchOperation, VolumeMount } from './k8s-types.js';
import { DAPRD_PORTS } from '../../kit/dapr/daprd.js';
import { COMPONENTS_SOCKETS_FOLDER_ENV } from './sidecar-env.js';
import { COMPONENTS_VOLUME, UDS_VOLUME } from './volumes.js';

export function appContainerEnv(c: SidecarConfig): EnvVar[] {
  const env: EnvVar[] = [
    { name: 'DAPR_HTTP_PORT', value: String(DAPRD_PORTS.http) },
    { name: 'DAPR_GRPC_PORT', value: String(c.annotations.grpcPort) },
  ];
  if (c.appProtocolEnv !== undefined) env.push({ name: 'APP_PROTOCOL', value: c.appProtocolEnv });
  return env;
}

function componentEnv(c: SidecarConfig): EnvVar[] {
  return [{ name: COMPONENTS_SOCKETS_FOLDER_ENV, value: c.componentsSocketsFolder }];
}

function componentMount(c: SidecarConfig): VolumeMount {
  return { name: COMPONENTS_VOLUME, mountPath: c.componentsSocketsFolder };
}

/** Ops adding the variables this container does not define yet. */
export function envOps(container: Container, index: number, wanted: readonly EnvVar[]): PatchOperation[] {
  const base = `/spec/containers/${index}/env`;
  const existing = container.env ?? [];
  if (existing.length === 0) return wanted.length > 0 ? [{ op: 'add', path: base, value: wanted }] : [];
  const defined = new Set(existing.map((e) => e.name));
  return wanted.filter((e) => !defined.has(e.name)).map((value) => ({ op: 'add', path: `${base}/-`, value }));
}

/** Op adding a mount unless the container has one with the same name or path. */
export function mountOps(container: Container, index: number, mount: VolumeMount): PatchOperation[] {
  const base = `/spec/containers/${index}/volumeMounts`;
  const existing = container.volumeMounts ?? [];
  if (existing.length === 0) return [{ op: 'add', path: base, value: [mount] }];
  if (existing.some((m) => m.name === mount.name || m.mountPath === mount.mountPath)) return [];
  return [{ op: 'add', path: `${base}/-`, value: mount }];
}

export function appContainerOps(c: SidecarConfig, containers: readonly Container[]): PatchOperation[] {
  const components = new Set(c.pluggableComponentNames);
  const env = appContainerEnv(c);
  const udsPath = c.annotations.unixDomainSocketPath;
  const ops: PatchOperation[] = [];
  containers.forEach((container, i) => {
    if (components.has(container.name)) {
      ops.push(...envOps(container, i, componentEnv(c)), ...mountOps(container, i, componentMount(c)));
      return;
    }
    ops.push(...envOps(container, i, env));
    if (udsPath !== '') ops.push(...mountOps(container, i, { name: UDS_VOLUME, mountPath: udsPath }));
  });
  return ops;
}

/** The component containers taken from Components, each given the socket env and mount (appended as is). */
export function injectedComponentContainers(c: SidecarConfig): Container[] {
  return c.injectedComponents.map((container) => ({
    ...container,
    env: [...(container.env ?? []), ...componentEnv(c)],
    volumeMounts: [...(container.volumeMounts ?? []), componentMount(c)],
  }));
}
