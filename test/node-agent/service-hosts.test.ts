import { describe, expect, it } from '@jest/globals';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { endpointsOf, renderHostsFile, serviceNames } from './service-hosts.js';

const svc = (ns: string, name: string, spec: V1Service['spec'] = {}): V1Service => ({
  metadata: { namespace: ns, name },
  spec,
});
const slice = (
  ns: string,
  svcName: string,
  endpoints: Array<{ ip: string; ready?: boolean; hostname?: string }>,
): V1EndpointSlice => ({
  metadata: { namespace: ns, name: `${svcName}-abc`, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints: endpoints.map((e) => ({
    addresses: [e.ip],
    ...(e.ready === undefined ? {} : { conditions: { ready: e.ready } }),
    ...(e.hostname ? { hostname: e.hostname } : {}),
  })),
});

const pod = { name: 'client', namespace: 'apps', ip: '198.18.5.9', hostname: 'client' };

describe('serviceNames', () => {
  it('gives the short name only in the pod namespace', () => {
    expect(serviceNames('web', 'apps', 'apps')).toEqual([
      'web.apps.svc.cluster.local',
      'web.apps.svc',
      'web.apps',
      'web',
    ]);
    expect(serviceNames('web', 'apps', 'other')).toEqual([
      'web.apps.svc.cluster.local',
      'web.apps.svc',
      'web.apps',
    ]);
  });
});

describe('endpointsOf', () => {
  it('merges slices, treats a missing ready condition as ready, and sorts by IP', () => {
    const eps = endpointsOf(svc('apps', 'web'), [
      slice('apps', 'web', [{ ip: '198.18.5.10' }, { ip: '198.18.5.3', ready: false }]),
      slice('apps', 'web', [{ ip: '198.18.5.2', ready: true }]),
      slice('other', 'web', [{ ip: '198.18.5.99' }]),
    ]);
    expect(eps).toEqual([
      { ip: '198.18.5.2', hostname: undefined, ready: true },
      { ip: '198.18.5.3', hostname: undefined, ready: false },
      { ip: '198.18.5.10', hostname: undefined, ready: true },
    ]);
  });

  it('counts not-ready endpoints of a publishNotReadyAddresses Service as ready', () => {
    const eps = endpointsOf(svc('a', 'p', { publishNotReadyAddresses: true }), [
      slice('a', 'p', [{ ip: '198.18.1.2', ready: false }]),
    ]);
    expect(eps[0]?.ready).toBe(true);
  });
});

describe('renderHostsFile', () => {
  it('maps ClusterIP Service names to the ClusterIP, headless ones to ready endpoint IPs, the apiserver to the bridge address', () => {
    const text = renderHostsFile({
      pod,
      apiserverIp: '198.18.5.1',
      services: [
        svc('apps', 'web', { clusterIP: '198.19.0.30' }),
        svc('other', 'db', { clusterIP: 'None' }),
        svc('apps', 'empty', { clusterIP: 'None' }),
        svc('apps', 'unallocated'),
        svc('x', 'ext', { type: 'ExternalName', externalName: 'a.b' }),
      ],
      slices: [
        slice('apps', 'web', [
          { ip: '198.18.5.4' },
          { ip: '198.18.5.5', ready: false },
          { ip: '198.18.5.3' },
        ]),
        slice('other', 'db', [{ ip: '198.18.5.7' }, { ip: '198.18.5.6' }]),
        slice('apps', 'empty', [{ ip: '198.18.5.8', ready: false }]),
      ],
    });
    expect(text.split('\n')).toEqual([
      '# Kubernetes-managed hosts file (dapr-ts node agent): Service names resolve to ClusterIPs (headless: to ready endpoint IPs).',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      '198.18.5.9\tclient',
      '198.18.5.1\tkubernetes.default.svc.cluster.local kubernetes.default.svc kubernetes.default',
      '198.19.0.30\tweb.apps.svc.cluster.local web.apps.svc web.apps web',
      '198.18.5.6\tdb.other.svc.cluster.local db.other.svc db.other',
      '198.18.5.7\tdb.other.svc.cluster.local db.other.svc db.other',
      '',
    ]);
  });

  it('gives a pod with a subdomain its FQDN, and headless endpoints with hostnames their own names', () => {
    const text = renderHostsFile({
      pod: {
        name: 'placement-0',
        namespace: 'sys',
        ip: '198.18.5.20',
        hostname: 'placement-0',
        subdomain: 'placement',
      },
      apiserverIp: '198.18.5.1',
      services: [svc('sys', 'placement', { clusterIP: 'None' })],
      slices: [slice('sys', 'placement', [{ ip: '198.18.5.20', hostname: 'placement-0' }])],
    });
    expect(text).toContain('198.18.5.20\tplacement-0.placement.sys.svc.cluster.local placement-0\n');
    expect(text).toContain(
      '198.18.5.20\tplacement.sys.svc.cluster.local placement.sys.svc placement.sys placement\n',
    );
    expect(text).toContain(
      '198.18.5.20\tplacement-0.placement.sys.svc.cluster.local placement-0.placement.sys.svc placement-0.placement\n',
    );
  });

  it('uses the short name of kubernetes only in the default namespace', () => {
    const text = renderHostsFile({
      pod: { ...pod, namespace: 'default' },
      apiserverIp: '198.18.5.1',
      services: [],
      slices: [],
    });
    expect(text).toContain(
      '198.18.5.1\tkubernetes.default.svc.cluster.local kubernetes.default.svc kubernetes.default kubernetes\n',
    );
  });
});

// A StatefulSet's per-pod names while it is re-rolled (or removed and created again): etcd peers
// dial `<hostname>.<svc>` with that name as the TLS server name, so a name that reaches another
// pod's address fails the handshake. The slices lag behind; the agent's own view decides.
describe('renderHostsFile: per-pod names during a re-roll', () => {
  const NS = 'dapr-system';
  const headless: V1Service = {
    metadata: { namespace: NS, name: 'sched', uid: 'svc-new' },
    spec: { clusterIP: 'None', publishNotReadyAddresses: true },
  };
  const sliceOf = (
    ownerUid: string,
    eps: Array<{ ip: string; hostname: string; podUid: string }>,
  ): V1EndpointSlice => ({
    metadata: {
      namespace: NS,
      name: `sched-${ownerUid}`,
      labels: { 'kubernetes.io/service-name': 'sched' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'sched', uid: ownerUid }],
    },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      hostname: e.hostname,
      conditions: { ready: true },
      targetRef: { kind: 'Pod', namespace: NS, name: e.hostname, uid: e.podUid },
    })),
  });
  const peer = { name: 'sched-2', namespace: NS, ip: '198.18.5.40', hostname: 'sched-2', subdomain: 'sched' };
  const namesOf = (text: string, host: string): string[] =>
    text
      .split('\n')
      .filter((l) => l.includes(`\t${host}.sched.${NS}.svc.cluster.local`))
      .map((l) => l.split('\t')[0]!);

  it('ignores the slices a deleted Service of the same name left behind', () => {
    const text = renderHostsFile({
      pod: peer,
      apiserverIp: '198.18.5.1',
      services: [headless],
      slices: [
        // The old incarnation's slice still lists sched-1 at an address sched-0 holds now.
        sliceOf('svc-old', [{ ip: '198.18.5.21', hostname: 'sched-1', podUid: 'old-1' }]),
        sliceOf('svc-new', [
          { ip: '198.18.5.21', hostname: 'sched-0', podUid: 'new-0' },
          { ip: '198.18.5.22', hostname: 'sched-1', podUid: 'new-1' },
        ]),
      ],
    });
    expect(namesOf(text, 'sched-0')).toEqual(['198.18.5.21']);
    expect(namesOf(text, 'sched-1')).toEqual(['198.18.5.22']);
  });

  it('drops an endpoint whose address the agent knows another pod holds, or no pod does', () => {
    const owners = new Map([
      ['198.18.5.21', 'new-0'],
      ['198.18.5.23', 'new-1'],
    ]);
    const live = (ip: string, uid: string | undefined): boolean =>
      !ip.startsWith('198.18.5.') || (owners.has(ip) && (uid === undefined || owners.get(ip) === uid));
    const text = renderHostsFile({
      pod: peer,
      apiserverIp: '198.18.5.1',
      services: [headless],
      live,
      slices: [
        sliceOf('svc-new', [
          // sched-1 was deleted (old-1 at .21); sched-0 got .21 since; sched-1 came back at .23
          // but the slice has not caught up: it still lists the old sched-1 and sched-0's old address.
          { ip: '198.18.5.21', hostname: 'sched-1', podUid: 'old-1' },
          { ip: '198.18.5.20', hostname: 'sched-0', podUid: 'old-0' },
          { ip: '198.18.5.23', hostname: 'sched-1', podUid: 'new-1' },
        ]),
      ],
    });
    expect(namesOf(text, 'sched-1')).toEqual(['198.18.5.23']);
    expect(namesOf(text, 'sched-0')).toEqual([]); // until the slice lists it at .21
    expect(text).not.toContain('198.18.5.20\t');
  });
});
