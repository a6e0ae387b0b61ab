// The JSONPatch for one pod (docs/contracts/injector-and-chart.md §1.5): a pure function of the pod and its
// fully parsed sidecar configuration, built once the gate (admission.ts) has let the pod through.
// Every op is an "add"; ops come in upstream's order.
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import { appContainerOps, injectedComponentContainers } from './app-containers.js';
import type { PatchOperation, Pod, Volume } from './k8s-types.js';
import { labelOps } from './labels.js';
import { daprdContainer } from './sidecar-container.js';
import { podVolumesToAdd } from './volumes.js';

export interface Patch {
  readonly ops: readonly PatchOperation[];
  /** Problems met while building it (mount entries that were skipped). */
  readonly warnings: readonly string[];
}

function volumeOps(pod: Pod, volumes: readonly Volume[]): PatchOperation[] {
  const existing = pod.spec?.volumes ?? [];
  if (volumes.length === 0) return [];
  if (existing.length === 0) return [{ op: 'add', path: '/spec/volumes', value: volumes }];
  const names = new Set(existing.map((v) => v.name));
  return volumes
    .filter((v) => !names.has(v.name))
    .map((value) => ({ op: 'add', path: '/spec/volumes/-', value }));
}

function sidecarOps(pod: Pod, c: SidecarConfig, warnings: string[]): PatchOperation[] {
  const sidecar = daprdContainer(c, pod, warnings);
  if (!c.nativeSidecar) return [{ op: 'add', path: '/spec/containers/-', value: sidecar }];
  const ops: PatchOperation[] = [];
  if ((pod.spec?.initContainers ?? []).length === 0)
    ops.push({ op: 'add', path: '/spec/initContainers', value: [] });
  ops.push({ op: 'add', path: '/spec/initContainers/-', value: sidecar });
  return ops;
}

export function buildPatch(pod: Pod, c: SidecarConfig): Patch {
  const warnings: string[] = [];
  const containers = pod.spec?.containers ?? [];
  const ops: PatchOperation[] = [];
  if (containers.length === 0) ops.push({ op: 'add', path: '/spec/containers', value: [] });
  if (Object.keys(pod.metadata?.labels ?? {}).length === 0)
    ops.push({ op: 'add', path: '/metadata/labels', value: {} });
  ops.push(...volumeOps(pod, podVolumesToAdd(c, pod)));
  ops.push(...sidecarOps(pod, c, warnings));
  ops.push(...labelOps(c));
  ops.push(...appContainerOps(c, containers));
  for (const value of injectedComponentContainers(c))
    ops.push({ op: 'add', path: '/spec/containers/-', value });
  return { ops, warnings };
}
