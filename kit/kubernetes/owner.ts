// Who owns an object: its controller ownerReference (a pod's ReplicaSet, Job, StatefulSet, …),
// as an Event's involvedObject. Events about a pod that asks for Dapr go to its owner, because a
// pod in an AdmissionReview has no name yet and a pod that is rejected never exists.
import type { InvolvedObject } from './events.js';

interface OwnerReference {
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
  readonly name?: unknown;
  readonly uid?: unknown;
  readonly controller?: unknown;
}

export interface OwnedMetadata {
  readonly name?: unknown;
  readonly uid?: unknown;
  readonly ownerReferences?: unknown;
}

/** The controller ownerReference of an object in `namespace`, or undefined. */
export function controllerOf(meta: OwnedMetadata | undefined, namespace: string): InvolvedObject | undefined {
  const refs = Array.isArray(meta?.ownerReferences) ? (meta.ownerReferences as OwnerReference[]) : [];
  const ref = refs.find((r) => r?.controller === true);
  if (
    typeof ref?.apiVersion !== 'string' ||
    typeof ref.kind !== 'string' ||
    typeof ref.name !== 'string' ||
    ref.name === ''
  )
    return undefined;
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    namespace,
    name: ref.name,
    ...(typeof ref.uid === 'string' && ref.uid !== '' ? { uid: ref.uid } : {}),
  };
}

/** The controller owner, else the pod itself when it has a name; undefined for an unnamed orphan. */
export function podEventTarget(
  meta: OwnedMetadata | undefined,
  namespace: string,
): InvolvedObject | undefined {
  const owner = controllerOf(meta, namespace);
  if (owner !== undefined) return owner;
  if (typeof meta?.name !== 'string' || meta.name === '') return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace,
    name: meta.name,
    ...(typeof meta.uid === 'string' && meta.uid !== '' ? { uid: meta.uid } : {}),
  };
}
