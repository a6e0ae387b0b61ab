import { describe, expect, it } from '@jest/globals';
import type { V1EndpointSlice, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { flowKeys, proxyPlan, proxyTableName, renderProxyRules, staleFlows } from './service-proxy.js';

const svc = (
  ns: string,
  name: string,
  clusterIP: string,
  ports: V1ServicePort[],
  extra: Partial<V1Service['spec']> = {},
): V1Service => ({
  metadata: { namespace: ns, name, uid: `uid-${name}` },
  spec: { clusterIP, ports, ...extra },
});

interface Ep {
  ip: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  podUid?: string;
}

const slice = (
  ns: string,
  svcName: string,
  ports: Array<{ name?: string; port: number; protocol?: string }>,
  endpoints: Ep[],
  ownerUid = `uid-${svcName}`,
): V1EndpointSlice => ({
  metadata: {
    namespace: ns,
    name: `${svcName}-${ports.map((p) => p.port).join('-')}`,
    labels: { 'kubernetes.io/service-name': svcName },
    ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svcName, uid: ownerUid }],
  },
  addressType: 'IPv4',
  ports,
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
    ...(e.podUid ? { targetRef: { kind: 'Pod', uid: e.podUid } } : {}),
  })),
});

describe('proxyPlan', () => {
  it('maps each ClusterIP Service port to the ready endpoints at the slice-resolved target port', () => {
    const operator = svc('dapr-system', 'dapr-api', '198.19.0.20', [
      { name: 'grpc', port: 443, targetPort: 6500 },
    ]);
    const webhook = svc('dapr-system', 'dapr-webhook', '198.19.0.21', [{ port: 443, targetPort: 19443 }]);
    const plan = proxyPlan(
      [webhook, operator],
      [
        slice('dapr-system', 'dapr-api', [{ name: 'grpc', port: 6500 }], [{ ip: '198.18.3.7' }]),
        slice('dapr-system', 'dapr-webhook', [{ port: 19443 }], [{ ip: '198.18.3.7' }]),
      ],
    );
    // Same pod, same Service port, two target ports: two VIPs tell them apart.
    expect(plan.routes).toEqual([
      {
        service: 'dapr-system/dapr-api:grpc',
        vip: '198.19.0.20',
        port: 443,
        protocol: 'TCP',
        backends: [{ ip: '198.18.3.7', port: 6500 }],
      },
      {
        service: 'dapr-system/dapr-webhook:',
        vip: '198.19.0.21',
        port: 443,
        protocol: 'TCP',
        backends: [{ ip: '198.18.3.7', port: 19443 }],
      },
    ]);
  });

  it('follows a named target port that resolves differently per pod (one slice per port number)', () => {
    const web = svc('apps', 'web', '198.19.1.1', [{ name: 'http', port: 80, targetPort: 'http' }]);
    const plan = proxyPlan(
      [web],
      [
        slice('apps', 'web', [{ name: 'http', port: 8080 }], [{ ip: '198.18.3.2' }]),
        slice('apps', 'web', [{ name: 'http', port: 9090 }], [{ ip: '198.18.3.3' }]),
      ],
    );
    expect(plan.routes[0]?.backends).toEqual([
      { ip: '198.18.3.2', port: 8080 },
      { ip: '198.18.3.3', port: 9090 },
    ]);
  });

  it('uses ready endpoints, falls back to serving terminating ones, and keeps none that are neither', () => {
    const s = svc('apps', 'web', '198.19.1.1', [{ port: 80 }]);
    const both = proxyPlan(
      [s],
      [
        slice(
          'apps',
          'web',
          [{ port: 80 }],
          [
            { ip: '198.18.3.2', ready: true },
            { ip: '198.18.3.3', ready: false, serving: true, terminating: true },
            { ip: '198.18.3.4', ready: false },
          ],
        ),
      ],
    );
    expect(both.routes[0]?.backends).toEqual([{ ip: '198.18.3.2', port: 80 }]);
    // Every address the slices list stays "known": established connections to it are left alone.
    expect(both.known.get('198.19.1.1')).toEqual(['198.18.3.2', '198.18.3.3', '198.18.3.4']);
    const onlyTerminating = proxyPlan(
      [s],
      [
        slice(
          'apps',
          'web',
          [{ port: 80 }],
          [
            { ip: '198.18.3.3', ready: false, serving: true, terminating: true },
            { ip: '198.18.3.4', ready: false },
          ],
        ),
      ],
    );
    expect(onlyTerminating.routes[0]?.backends).toEqual([{ ip: '198.18.3.3', port: 80 }]);
  });

  it('ignores headless and ExternalName Services, UDP-less protocols, and slices a deleted namesake left', () => {
    const plan = proxyPlan(
      [
        svc('apps', 'peers', 'None', [{ port: 2380 }]),
        svc('apps', 'ext', '', [{ port: 80 }], { type: 'ExternalName', externalName: 'x.example' }),
        svc('apps', 'web', '198.19.1.1', [
          { name: 'a', port: 80 },
          { name: 's', port: 99, protocol: 'SCTP' },
          { name: 'u', port: 53, protocol: 'UDP' },
        ]),
      ],
      [
        slice('apps', 'peers', [{ port: 2380 }], [{ ip: '198.18.3.9' }]),
        // An old incarnation of web (another UID), its pod's address still listed:
        slice('apps', 'web', [{ name: 'a', port: 80 }], [{ ip: '198.18.3.66' }], 'uid-old-web'),
        slice(
          'apps',
          'web',
          [
            { name: 'a', port: 8080 },
            { name: 'u', port: 5353, protocol: 'UDP' },
          ],
          [{ ip: '198.18.3.2' }],
        ),
      ],
    );
    expect(plan.routes.map((r) => [r.service, r.protocol, r.backends])).toEqual([
      ['apps/web:a', 'TCP', [{ ip: '198.18.3.2', port: 8080 }]],
      ['apps/web:u', 'UDP', [{ ip: '198.18.3.2', port: 5353 }]],
    ]);
    expect([...plan.known.keys()]).toEqual(['198.19.1.1']);
  });

  it('drops endpoints the agent knows are gone, before the slices say so', () => {
    const s = svc('apps', 'web', '198.19.1.1', [{ port: 80 }]);
    const slices = [
      slice(
        'apps',
        'web',
        [{ port: 80 }],
        [
          { ip: '198.18.3.2', podUid: 'old' },
          { ip: '198.18.3.3', podUid: 'new' },
        ],
      ),
    ];
    const live = (ip: string, uid: string | undefined): boolean => !(ip === '198.18.3.2' && uid === 'old');
    const plan = proxyPlan([s], slices, live);
    expect(plan.routes[0]?.backends).toEqual([{ ip: '198.18.3.3', port: 80 }]);
    expect(plan.known.get('198.19.1.1')).toEqual(['198.18.3.3']);
    // A pod shutting down: no new connections, but its existing ones are left alone.
    const accepting = (ip: string): boolean => ip !== '198.18.3.3';
    const draining = proxyPlan([s], slices, () => true, accepting);
    expect(draining.routes[0]?.backends).toEqual([{ ip: '198.18.3.2', port: 80 }]);
    expect(draining.known.get('198.19.1.1')).toEqual(['198.18.3.2', '198.18.3.3']);
  });
});

describe('renderProxyRules', () => {
  const opts = { table: 'dapr_ts_r1', serviceCidr: '198.19.0.0/16' };

  it('replaces the table in one script: DNAT per endpoint, random choice among several, refusals', () => {
    const text = renderProxyRules(
      {
        routes: [
          {
            service: 'apps/web:http',
            vip: '198.19.1.1',
            port: 80,
            protocol: 'TCP',
            backends: [
              { ip: '198.18.3.2', port: 8080 },
              { ip: '198.18.3.3', port: 8080 },
            ],
          },
          { service: 'apps/empty:', vip: '198.19.1.2', port: 80, protocol: 'TCP', backends: [] },
          {
            service: 'apps/dns:u',
            vip: '198.19.1.3',
            port: 53,
            protocol: 'UDP',
            backends: [{ ip: '198.18.3.4', port: 5353 }],
          },
        ],
        known: new Map([
          ['198.19.1.1', ['198.18.3.2', '198.18.3.3']],
          ['198.19.1.2', []],
          ['198.19.1.3', ['198.18.3.4']],
        ]),
      },
      opts,
    );
    expect(text.split('\n')).toEqual([
      'table ip dapr_ts_r1 {',
      '}',
      'delete table ip dapr_ts_r1',
      'table ip dapr_ts_r1 {',
      '  chain services {',
      '    type nat hook output priority -100; policy accept;',
      '    ip daddr 198.19.1.1 tcp dport 80 goto svc_0 comment "apps/web:http"',
      '    ip daddr 198.19.1.3 udp dport 53 goto svc_2 comment "apps/dns:u"',
      '  }',
      '  chain svc_0 {',
      '    numgen random mod 2 vmap { 0 : goto svc_0_ep_0, 1 : goto svc_0_ep_1 }',
      '  }',
      '  chain svc_0_ep_0 {',
      '    meta l4proto tcp dnat to 198.18.3.2:8080',
      '  }',
      '  chain svc_0_ep_1 {',
      '    meta l4proto tcp dnat to 198.18.3.3:8080',
      '  }',
      '  chain svc_2 {',
      '    goto svc_2_ep_0',
      '  }',
      '  chain svc_2_ep_0 {',
      '    meta l4proto udp dnat to 198.18.3.4:5353',
      '  }',
      '  chain refuse {',
      '    type filter hook output priority 0; policy accept;',
      '    ip daddr 198.19.0.0/16 meta l4proto tcp reject with tcp reset',
      '    ip daddr 198.19.0.0/16 reject',
      '  }',
      '}',
      '',
    ]);
  });

  it('refuses everything in the Service CIDR when there is no Service', () => {
    const text = renderProxyRules({ routes: [], known: new Map() }, opts);
    expect(text).toContain(
      '  chain services {\n    type nat hook output priority -100; policy accept;\n  }\n',
    );
    expect(text).toContain('    ip daddr 198.19.0.0/16 meta l4proto tcp reject with tcp reset\n');
  });

  it('refuses addresses of the pod network that neither the host nor a running pod holds', () => {
    const text = renderProxyRules(
      { routes: [], known: new Map() },
      {
        ...opts,
        podNetwork: { cidr: '198.18.7.0/24', hostIp: '198.18.7.1', occupied: ['198.18.7.9', '198.18.7.3'] },
      },
    );
    expect(text).toContain(
      '    ip daddr 198.18.7.0/24 ip daddr != { 198.18.7.1, 198.18.7.3, 198.18.7.9 } meta l4proto tcp reject with tcp reset\n' +
        '    ip daddr 198.18.7.0/24 ip daddr != { 198.18.7.1, 198.18.7.3, 198.18.7.9 } reject\n  }\n}\n',
    );
    // Without pods, only the host is held.
    const empty = renderProxyRules(
      { routes: [], known: new Map() },
      { ...opts, podNetwork: { cidr: '198.18.7.0/24', hostIp: '198.18.7.1', occupied: [] } },
    );
    expect(empty).toContain('ip daddr 198.18.7.0/24 ip daddr != { 198.18.7.1 } reject\n');
  });

  it('puts the run id in the table name', () => {
    expect(proxyTableName('rmabc12-3f')).toBe('dapr_ts_rmabc12_3f');
  });
});

describe('staleFlows', () => {
  it('names the translations that went away, for conntrack to forget', () => {
    const before = flowKeys({
      routes: [],
      known: new Map([
        ['198.19.1.1', ['198.18.3.2', '198.18.3.3']],
        ['198.19.1.2', ['198.18.3.2']],
      ]),
    });
    expect(before).toEqual(['198.19.1.1 198.18.3.2', '198.19.1.1 198.18.3.3', '198.19.1.2 198.18.3.2']);
    // 198.18.3.2 left web (198.19.1.1) but still backs 198.19.1.2; 198.18.3.9 is new.
    const after = ['198.19.1.1 198.18.3.3', '198.19.1.1 198.18.3.9', '198.19.1.2 198.18.3.2'];
    expect(staleFlows(before, after)).toEqual([{ vip: '198.19.1.1', endpoint: '198.18.3.2' }]);
    expect(staleFlows([], after)).toEqual([]);
  });
});
