// Service port → target port without kube-proxy. Names resolve to endpoint IPs (see
// service-hosts.ts), so a client of `dapr-sentry:443` connects to <sentry pod IP>:443 while
// sentry listens on 50001. For every Service that selects a pod and whose port differs from its
// target port, the agent runs a small TCP forwarder inside that pod's network namespace
// (forwarder.ts) listening on the Service port and relaying to the target port.
// When two Services map the same port of one pod to different target ports, the first by
// namespace/name wins and the rest are reported (a ClusterIP would tell them apart; an
// endpoint IP cannot). Pure: objects in, plan out.
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';

export interface PortMapping {
  readonly listenPort: number;
  readonly targetPort: number;
  /** namespace/name:portName, for messages. */
  readonly service: string;
}

export interface PortPlan {
  readonly mappings: PortMapping[];
  readonly conflicts: string[];
}

/** Service port → target port pairs of one Service for the endpoint `podIp` (TCP only, differing ports). */
function mappingsOf(podIp: string, svc: V1Service, slices: readonly V1EndpointSlice[]): PortMapping[] {
  const ns = svc.metadata?.namespace;
  const name = svc.metadata?.name;
  const tcp = (p: { protocol?: string }): boolean => (p.protocol ?? 'TCP') === 'TCP';
  const out: PortMapping[] = [];
  const mine = slices.filter(
    (sl) =>
      sl.metadata?.namespace === ns &&
      sl.metadata?.labels?.['kubernetes.io/service-name'] === name &&
      (sl.endpoints ?? []).some((e) => (e.addresses ?? []).includes(podIp)),
  );
  for (const slice of mine) {
    for (const sp of (svc.spec?.ports ?? []).filter(tcp)) {
      const target =
        (slice.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '') && tcp(p))?.port ?? undefined;
      if (target !== undefined && target !== sp.port)
        out.push({ listenPort: sp.port, targetPort: target, service: `${ns}/${name}:${sp.name ?? ''}` });
    }
  }
  return out;
}

/** The forwards a pod with address `podIp` needs, given all Services and EndpointSlices. */
export function portPlanFor(
  podIp: string,
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
): PortPlan {
  const byPort = new Map<number, PortMapping>();
  const conflicts: string[] = [];
  const sorted = [...services].sort((a, b) =>
    `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
      `${b.metadata?.namespace}/${b.metadata?.name}`,
    ),
  );
  for (const m of sorted.flatMap((svc) => mappingsOf(podIp, svc, slices))) {
    const prev = byPort.get(m.listenPort);
    if (prev === undefined) byPort.set(m.listenPort, m);
    else if (prev.targetPort !== m.targetPort) {
      conflicts.push(
        `port ${m.listenPort}: ${m.service} → ${m.targetPort} loses to ${prev.service} → ${prev.targetPort}`,
      );
    }
  }
  const mappings = [...byPort.values()].sort((a, b) => a.listenPort - b.listenPort);
  return { mappings, conflicts };
}

/** `listen=target` arguments for forwarder.ts. */
export function forwarderArgs(plan: PortPlan): string[] {
  return plan.mappings.map((m) => `${m.listenPort}=${m.targetPort}`);
}
