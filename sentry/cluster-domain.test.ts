import { describe, expect, it } from '@jest/globals';
import { clusterDomainFromDns, searchDomains } from './cluster-domain.js';

const POD_RESOLV_CONF = `search dapr-system.svc.cluster.local svc.cluster.local cluster.local
nameserver 10.96.0.10
options ndots:5
`;

describe('sentry §3: the cluster domain for the scheduler’s DNS names', () => {
  it('reads the search list of a pod’s resolv.conf', () => {
    expect(searchDomains(POD_RESOLV_CONF)).toEqual([
      'dapr-system.svc.cluster.local',
      'svc.cluster.local',
      'cluster.local',
    ]);
    expect(searchDomains('domain example.org.\nsearch a.b c.d\n')).toEqual(['a.b', 'c.d']);
    expect(searchDomains('nameserver 1.1.1.1\n')).toEqual([]);
  });

  it('is the suffix under which kubernetes.default.svc resolves, tried in search order', async () => {
    const asked: string[] = [];
    const domain = await clusterDomainFromDns({
      resolvConf: () => Promise.resolve(POD_RESOLV_CONF.replace(/cluster\.local/g, 'corp.example')),
      resolves: (fqdn) => {
        asked.push(fqdn);
        return fqdn === 'kubernetes.default.svc.corp.example'
          ? Promise.resolve()
          : Promise.reject(new Error('NXDOMAIN'));
      },
    });
    expect(domain).toBe('corp.example');
    expect(asked).toEqual([
      'kubernetes.default.svc.dapr-system.svc.corp.example',
      'kubernetes.default.svc.svc.corp.example',
      'kubernetes.default.svc.corp.example',
    ]);
  });

  it('is undefined outside a cluster, or when DNS does not answer in time', async () => {
    const nowhere = { resolves: () => Promise.reject(new Error('NXDOMAIN')) };
    expect(await clusterDomainFromDns({ ...nowhere, resolvConf: () => Promise.resolve('') })).toBeUndefined();
    expect(
      await clusterDomainFromDns({ ...nowhere, resolvConf: () => Promise.reject(new Error('ENOENT')) }),
    ).toBeUndefined();
    const hanging = {
      resolvConf: () => Promise.resolve(POD_RESOLV_CONF),
      resolves: () => new Promise<void>(() => undefined),
      timeoutMs: 10,
    };
    expect(await clusterDomainFromDns(hanging)).toBeUndefined();
  });
});
