// The EndpointSlices that belong to a Service. A slice names its Service by the
// `kubernetes.io/service-name` label, but a Service deleted and created again under the same name
// (a `helm upgrade` that turns a component off and on) leaves the old incarnation's slices behind
// until the garbage collector removes them, with the old pods' addresses and hostnames. The
// controller-made slices carry an ownerReference to their Service, so a slice owned by another
// Service UID is stale and ignored; a slice without a Service owner (written by hand, as
// Kubernetes allows) counts by its label alone. Also here: which Services get a virtual IP, and
// the agent's own knowledge of which endpoints are gone. Pure.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The IPv4 slices of `svc` (same namespace, its name label and, when owned by a Service, its UID). */
export function slicesOf(svc: V1Service, slices: readonly V1EndpointSlice[]): V1EndpointSlice[] {
  const ns = svc.metadata?.namespace;
  const name = svc.metadata?.name;
  const uid = svc.metadata?.uid;
  return slices.filter((slice) => {
    if (slice.metadata?.namespace !== ns || slice.metadata?.labels?.[SERVICE_NAME_LABEL] !== name)
      return false;
    if (slice.addressType !== 'IPv4') return false;
    const owner = (slice.metadata?.ownerReferences ?? []).find((o) => o.kind === 'Service');
    return owner === undefined || uid === undefined || owner.uid === uid;
  });
}

/**
 * Whether an endpoint an EndpointSlice lists still is what the slice says: false when its
 * address is in the agent's own pod network but no pod holds it now, or a pod other than the
 * slice's targetRef does (slices lag behind a deletion by the controller's round trip; the
 * agent knows at once).
 */
export type EndpointLiveness = (ip: string, targetPodUid: string | undefined) => boolean;

/** The ClusterIP of a Service that gets a virtual IP, or undefined (headless, ExternalName, IPv6). */
export function clusterIpOf(svc: V1Service): string | undefined {
  const ip = svc.spec?.clusterIP;
  if (ip === undefined || ip === '' || ip === 'None' || ip.includes(':')) return undefined;
  if (svc.spec?.type === 'ExternalName') return undefined;
  return ip;
}
