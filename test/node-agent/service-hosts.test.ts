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
  it('maps Service names to ready endpoint IPs and the apiserver to the bridge address', () => {
    const text = renderHostsFile({
      pod,
      apiserverIp: '198.18.5.1',
      services: [
        svc('apps', 'web'),
        svc('other', 'db'),
        svc('apps', 'empty'),
        svc('x', 'ext', { type: 'ExternalName', externalName: 'a.b' }),
      ],
      slices: [
        slice('apps', 'web', [
          { ip: '198.18.5.4' },
          { ip: '198.18.5.5', ready: false },
          { ip: '198.18.5.3' },
        ]),
        slice('other', 'db', [{ ip: '198.18.5.7' }]),
        slice('apps', 'empty', [{ ip: '198.18.5.8', ready: false }]),
      ],
    });
    expect(text.split('\n')).toEqual([
      '# Kubernetes-managed hosts file (dapr-ts node agent): Service names resolve to ready endpoint IPs.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      '198.18.5.9\tclient',
      '198.18.5.1\tkubernetes.default.svc.cluster.local kubernetes.default.svc kubernetes.default',
      '198.18.5.3\tweb.apps.svc.cluster.local web.apps.svc web.apps web',
      '198.18.5.4\tweb.apps.svc.cluster.local web.apps.svc web.apps web',
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
