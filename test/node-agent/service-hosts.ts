// Service name resolution without cluster DNS: each pod's hosts file maps
// `<svc>.<ns>.svc.cluster.local`, `<svc>.<ns>.svc`, `<svc>.<ns>` (and `<svc>` in the pod's own
// namespace) to the Service's ClusterIP, a virtual IP the node agent's kube-proxy
// (service-proxy.ts) translates to a ready endpoint; the line never changes while the Service
// lives, so a client never holds a stale address. Headless Services (clusterIP None) map to
// the IPs of their ready endpoints instead, and each endpoint with a hostname (StatefulSet
// pods) also gets `<hostname>.<svc>.<ns>.svc.cluster.local`.
// Pure functions: objects in, file text out.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { clusterIpOf, slicesOf, type EndpointLiveness } from './endpoint-slices.js';

export const CLUSTER_DOMAIN = 'cluster.local';

export interface HostsPod {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
  /** spec.hostname, else the pod name (as a kubelet sets the UTS hostname). */
  readonly hostname: string;
  readonly subdomain?: string;
}

export interface HostsInput {
  readonly pod: HostsPod;
  /** The apiserver as pods reach it (the bridge's host address). */
  readonly apiserverIp: string;
  readonly services: readonly V1Service[];
  readonly slices: readonly V1EndpointSlice[];
  /** Drops endpoints the agent knows are gone (see EndpointLiveness). */
  readonly live?: EndpointLiveness;
  readonly clusterDomain?: string;
}

export interface ServiceEndpoint {
  readonly ip: string;
  readonly hostname?: string;
  readonly ready: boolean;
}

/**
 * Endpoints of a Service, from its own IPv4 EndpointSlices (slicesOf: not those a deleted
 * Service of the same name left behind), without those `live` rejects, deduplicated by IP.
 */
export function endpointsOf(
  svc: V1Service,
  slices: readonly V1EndpointSlice[],
  live: EndpointLiveness = () => true,
): ServiceEndpoint[] {
  const byIp = new Map<string, ServiceEndpoint>();
  for (const slice of slicesOf(svc, slices)) {
    for (const ep of slice.endpoints ?? []) {
      // A nil `ready` means ready (discovery.k8s.io/v1 semantics).
      const ready = ep.conditions?.ready !== false || svc.spec?.publishNotReadyAddresses === true;
      const podUid = ep.targetRef?.kind === 'Pod' ? ep.targetRef.uid : undefined;
      for (const ip of ep.addresses ?? []) {
        if (!live(ip, podUid)) continue;
        const prev = byIp.get(ip);
        byIp.set(ip, { ip, hostname: ep.hostname ?? prev?.hostname, ready: ready || (prev?.ready ?? false) });
      }
    }
  }
  return [...byIp.values()].sort((a, b) => compareIps(a.ip, b.ip));
}

function compareIps(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** The names a Service answers to from a pod in `podNamespace`. */
export function serviceNames(
  svc: string,
  ns: string,
  podNamespace: string,
  domain = CLUSTER_DOMAIN,
): string[] {
  const names = [`${svc}.${ns}.svc.${domain}`, `${svc}.${ns}.svc`, `${svc}.${ns}`];
  if (ns === podNamespace) names.push(svc);
  return names;
}

const line = (ip: string, names: readonly string[]): string => `${ip}\t${names.join(' ')}`;

/** The pod's hosts file, as a kubelet writes its header plus one line per Service endpoint. */
export function renderHostsFile(input: HostsInput): string {
  const domain = input.clusterDomain ?? CLUSTER_DOMAIN;
  const { pod } = input;
  const out = [
    '# Kubernetes-managed hosts file (dapr-ts node agent): Service names resolve to ClusterIPs (headless: to ready endpoint IPs).',
    line('127.0.0.1', ['localhost']),
    line('::1', ['localhost', 'ip6-localhost', 'ip6-loopback']),
  ];
  out.push(
    pod.subdomain
      ? line(pod.ip, [`${pod.hostname}.${pod.subdomain}.${pod.namespace}.svc.${domain}`, pod.hostname])
      : line(pod.ip, [pod.hostname]),
  );
  out.push(line(input.apiserverIp, serviceNames('kubernetes', 'default', pod.namespace, domain)));
  const services = [...input.services].sort((a, b) =>
    `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
      `${b.metadata?.namespace}/${b.metadata?.name}`,
    ),
  );
  for (const svc of services) {
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace ?? '';
    if (svc.spec?.type === 'ExternalName') continue;
    if (name === 'kubernetes' && ns === 'default') continue;
    const vip = clusterIpOf(svc);
    if (vip !== undefined) {
      out.push(line(vip, serviceNames(name, ns, pod.namespace, domain)));
      continue;
    }
    if (svc.spec?.clusterIP !== 'None') continue; // no address allocated (yet): no name
    const endpoints = endpointsOf(svc, input.slices, input.live).filter((e) => e.ready);
    for (const ep of endpoints) out.push(line(ep.ip, serviceNames(name, ns, pod.namespace, domain)));
    // Each endpoint with a hostname (StatefulSet pods) also gets its own name.
    for (const ep of endpoints) {
      if (ep.hostname === undefined) continue;
      const names = [`${ep.hostname}.${name}.${ns}.svc.${domain}`, `${ep.hostname}.${name}.${ns}.svc`];
      if (ns === pod.namespace) names.push(`${ep.hostname}.${name}`);
      out.push(line(ep.ip, names));
    }
  }
  return out.join('\n') + '\n';
}
