// A small kube-proxy for the node agent (docs/node-agent.md, "Service ports"): every ClusterIP
// Service port becomes nftables rules that DNAT its virtual IP and port to one of the Service's
// ready endpoints (IP and target port, the target port as each EndpointSlice resolved it, so
// named target ports work). The agent loads the same table into every pod's network namespace
// (output hook: the rules see exactly the traffic pods originate, a pod reaching itself through
// its own Service included, and nothing of the host's). A VIP (or a VIP port) with no ready
// endpoint is refused at once: TCP reset, ICMP otherwise. `staleFlows` names the translations
// whose endpoint left the Service, for the loader to delete from conntrack (proxy-loader.ts).
// Pure: Services and EndpointSlices in, an `nft -f` script out (it replaces the table in one
// transaction, so a pod never sees half a rule set).
import type { V1Endpoint, V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { clusterIpOf, slicesOf, type EndpointLiveness } from './endpoint-slices.js';

export type ProxiedProtocol = 'TCP' | 'UDP';

export interface Backend {
  readonly ip: string;
  readonly port: number;
}

export interface ServicePortRoute {
  /** namespace/name:portName, for comments and messages. */
  readonly service: string;
  readonly vip: string;
  readonly port: number;
  readonly protocol: ProxiedProtocol;
  /** Where new connections go: ready endpoints, else serving terminating ones (as kube-proxy). */
  readonly backends: readonly Backend[];
}

export interface ProxyPlan {
  readonly routes: readonly ServicePortRoute[];
  /** VIP → every live address its slices list, ready or not: connections to these are left alone. */
  readonly known: ReadonlyMap<string, readonly string[]>;
}

/** A translation (VIP → endpoint address) existing connections may use. */
export interface Flow {
  readonly vip: string;
  readonly endpoint: string;
}

/** The translations of `plan` as `vip endpoint` keys (see staleFlows). */
export function flowKeys(plan: ProxyPlan): string[] {
  return [...plan.known].flatMap(([vip, ips]) => ips.map((ip) => `${vip} ${ip}`));
}

/** Translations in `before` but not in `after`: their endpoint left the Service (or its pod is gone). */
export function staleFlows(before: readonly string[], after: readonly string[]): Flow[] {
  const now = new Set(after);
  return before
    .filter((k) => !now.has(k))
    .map((k) => {
      const [vip = '', endpoint = ''] = k.split(' ');
      return { vip, endpoint };
    });
}

const byKey = (a: V1Service, b: V1Service): number =>
  `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(
    `${b.metadata?.namespace}/${b.metadata?.name}`,
  );

function compareBackends(a: Backend, b: Backend): number {
  const pa = a.ip.split('.').map(Number);
  const pb = b.ip.split('.').map(Number);
  for (let i = 0; i < 4; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return a.port - b.port;
}

const podUidOf = (ep: V1Endpoint): string | undefined =>
  ep.targetRef?.kind === 'Pod' ? ep.targetRef.uid : undefined;

/**
 * Where new connections to one Service port go: its ready endpoints, else its serving
 * terminating ones (as kube-proxy), at the target port each slice resolved (named ports resolve
 * per pod, and the controller groups endpoints by the resulting number).
 */
function backendsOf(
  sp: V1ServicePort,
  protocol: ProxiedProtocol,
  slices: readonly V1EndpointSlice[],
  live: EndpointLiveness,
): Backend[] {
  const ready = new Map<string, Backend>();
  const fallback = new Map<string, Backend>();
  for (const slice of slices) {
    const target = (slice.ports ?? []).find(
      (p) => (p.name ?? '') === (sp.name ?? '') && (p.protocol ?? 'TCP') === protocol,
    )?.port;
    if (target === undefined || target === null) continue;
    for (const ep of slice.endpoints ?? []) {
      const c = ep.conditions ?? {};
      const isReady = c.ready !== false; // nil means ready (discovery.k8s.io/v1)
      const into = isReady ? ready : c.terminating === true && (c.serving ?? false) ? fallback : undefined;
      // An address the agent knows is gone gets no new connection, whatever the slice says.
      for (const ip of ep.addresses)
        if (into && live(ip, podUidOf(ep))) into.set(`${ip}:${target}`, { ip, port: target });
    }
  }
  return [...(ready.size > 0 ? ready : fallback).values()].sort(compareBackends);
}

/** Every live address the slices list, whatever its conditions. */
function knownAddresses(slices: readonly V1EndpointSlice[], live: EndpointLiveness): string[] {
  const all = new Set<string>();
  for (const slice of slices)
    for (const ep of slice.endpoints ?? [])
      for (const ip of ep.addresses) if (live(ip, podUidOf(ep))) all.add(ip);
  return [...all].sort();
}

/**
 * Which endpoint (address, target port) each ClusterIP Service port forwards to. `live` says
 * which listed addresses still exist (connections to them are left alone); `accepting`, which
 * may get new connections (the agent: not a pod already shutting down, whose endpoint the slices
 * have not marked yet).
 */
export function proxyPlan(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  live: EndpointLiveness = () => true,
  accepting: EndpointLiveness = live,
): ProxyPlan {
  const routes: ServicePortRoute[] = [];
  const known = new Map<string, string[]>();
  for (const svc of [...services].sort(byKey)) {
    const vip = clusterIpOf(svc);
    if (vip === undefined) continue;
    const mine = slicesOf(svc, slices);
    known.set(vip, knownAddresses(mine, live));
    for (const sp of svc.spec?.ports ?? []) {
      const protocol = sp.protocol ?? 'TCP';
      if (protocol !== 'TCP' && protocol !== 'UDP') continue;
      routes.push({
        service: `${svc.metadata?.namespace}/${svc.metadata?.name}:${sp.name ?? ''}`,
        vip,
        port: sp.port,
        protocol,
        backends: backendsOf(sp, protocol, mine, accepting),
      });
    }
  }
  return { routes, known };
}

export interface ProxyRulesOptions {
  /** nftables table name; carries the test run id. */
  readonly table: string;
  /** The Service CIDR (the apiserver's --service-cluster-ip-range): what is not DNATed there is refused. */
  readonly serviceCidr: string;
  /**
   * The agent's pod network: an address in `cidr` that neither the host (`hostIp`) nor a running
   * pod (`occupied`) holds is refused at once. Without this, a connection to a pod that has just
   * gone (an address a client still has from a name it resolved before) waits for ARP and SYN
   * retries until the client's own dial timeout: daprd's placement dial took 20 s to give up on
   * the old placement pod's address. On a real network the same happens until DNS moves on; here
   * the agent knows at once that nobody holds the address, so the caller learns at once.
   */
  readonly podNetwork?: {
    readonly cidr: string;
    readonly hostIp: string;
    readonly occupied: readonly string[];
  };
}

/** The refusals of addresses in the pod network that nobody holds (see ProxyRulesOptions). */
function vacantPodAddressRules(net: NonNullable<ProxyRulesOptions['podNetwork']>): string[] {
  const held = `{ ${[net.hostIp, ...[...net.occupied].sort()].join(', ')} }`;
  return [
    `    ip daddr ${net.cidr} ip daddr != ${held} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${net.cidr} ip daddr != ${held} reject`,
  ];
}

/** The `nft -f` script that replaces the table with the rules of `plan`. */
export function renderProxyRules(plan: ProxyPlan, opts: ProxyRulesOptions): string {
  const t = opts.table;
  const cidr = opts.serviceCidr;
  const nat: string[] = [];
  const chains: string[] = [];
  plan.routes.forEach((r, i) => {
    if (r.backends.length === 0) return; // refused by the filter chain below
    const proto = r.protocol.toLowerCase();
    const svcChain = `svc_${i}`;
    nat.push(`    ip daddr ${r.vip} ${proto} dport ${r.port} goto ${svcChain} comment "${r.service}"`);
    const epChains = r.backends.map((_, j) => `${svcChain}_ep_${j}`);
    const pick =
      epChains.length === 1
        ? `goto ${epChains[0]}`
        : `numgen random mod ${epChains.length} vmap { ${epChains.map((c, j) => `${j} : goto ${c}`).join(', ')} }`;
    chains.push(`  chain ${svcChain} {`, `    ${pick}`, '  }');
    r.backends.forEach((b, j) =>
      chains.push(`  chain ${epChains[j]} {`, `    meta l4proto ${proto} dnat to ${b.ip}:${b.port}`, '  }'),
    );
  });
  return [
    // Create-then-delete makes the delete valid on the first load; the whole file is one transaction.
    `table ip ${t} {`,
    '}',
    `delete table ip ${t}`,
    `table ip ${t} {`,
    '  chain services {',
    '    type nat hook output priority -100; policy accept;',
    ...nat,
    '  }',
    ...chains,
    '  chain refuse {',
    '    type filter hook output priority 0; policy accept;',
    `    ip daddr ${cidr} meta l4proto tcp reject with tcp reset`,
    `    ip daddr ${cidr} reject`,
    ...(opts.podNetwork ? vacantPodAddressRules(opts.podNetwork) : []),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** The table name of a run's rules (nft identifiers: letters, digits, underscores). */
export function proxyTableName(runId: string): string {
  return `dapr_ts_${runId.replace(/[^A-Za-z0-9_]/g, '_')}`;
}
