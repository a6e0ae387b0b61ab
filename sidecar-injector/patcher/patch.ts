// The JSONPatch for one pod (docs/contracts/injector-and-chart.md §1.5): a pure function of the pod and its
// sidecar configuration. Every op is an "add"; ops come in upstream's order.
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import { appContainerOps, injectedComponentContainers } from './app-containers.js';
import { appIdIsInvalid, sidecarIsAlreadyPresent } from './decisions.js';
import type { PatchOperation, Pod, Volume } from './k8s-types.js';
import { labelOps } from './labels.js';
import { daprdContainer } from './sidecar-container.js';
import { podVolumesToAdd } from './volumes.js';

export type PatchOutcome =
  | { readonly kind: 'patch'; readonly ops: readonly PatchOperation[]; readonly warnings: readonly string[] }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'deny'; readonly message: string };

function volumeOps(pod: Pod, volumes: readonly Volume[]): PatchOperation[] {
  const existing = pod.spec?.volumes ?? [];
  if (volumes.length === 0) return [];
  if (existing.length === 0) return [{ op: 'add', path: '/spec/volumes', value: volumes }];
  const names = new Set(existing.map((v) => v.name));
  return volumes
    .filter((v) => !names.has(v.name))
    .map((value) => ({ op: 'add', path: '/spec/volumes/-', value }));
}

/** Builds the ops, or says why there are none (skip) or why the pod must be rejected (deny). */
/** The rules of §1.3 step 5 and the app-id denial, in order. */
function patchIsNotWanted(pod: Pod, c: SidecarConfig): PatchOutcome | undefined {
  if (!c.annotations.enabled) return { kind: 'skip', reason: 'dapr.io/enabled is false' };
  const present = sidecarIsAlreadyPresent(pod);
  if (present !== undefined) return { kind: 'skip', reason: present };
  const invalid = appIdIsInvalid(c.appId);
  if (invalid !== undefined) return { kind: 'deny', message: invalid };
  return undefined;
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

export function buildPatch(pod: Pod, c: SidecarConfig): PatchOutcome {
  const unwanted = patchIsNotWanted(pod, c);
  if (unwanted !== undefined) return unwanted;

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
  return { kind: 'patch', ops, warnings };
}
