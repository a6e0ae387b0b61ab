// docs/contracts/injector-and-chart.md §2 (inject-pluggable-components), §3.2 item 27 (--enable-mtls): the
// pure parts of the two caches the admission path reads.
import { describe, expect, it } from '@jest/globals';
import { componentEntry, injectableContainers, type ComponentEntry } from './component-containers.js';
import { FakeKubeApi } from '../../kit/kubernetes/testing/fake-api.js';
import { MtlsSetting, mtlsEnabledIn } from './mtls-setting.js';

const entry = (name: string, container: string, scopes: string[] = []): ComponentEntry => ({
  namespace: 'default',
  name,
  scopes,
  containerJson: container,
});

describe('component containers', () => {
  it('reads name, namespace, scopes and the container annotation of a Component', () => {
    expect(
      componentEntry({
        metadata: { name: 'c', namespace: 'ns', annotations: { 'dapr.io/component-container': '{}' } },
        scopes: ['a', 1],
      }),
    ).toEqual({ namespace: 'ns', name: 'c', scopes: ['a'], containerJson: '{}' });
    expect(componentEntry({ metadata: { name: 'c' } })).toBeUndefined();
  });

  it('keeps unscoped and in-scope containers, first image wins, names default to the Component', () => {
    const warnings: string[] = [];
    const got = injectableContainers(
      'me',
      [
        entry('a', '{"image":"one"}'),
        entry('b', '{"name":"dup","image":"one"}'),
        entry('c', '{"image":"two"}', ['other']),
        entry('d', '{"name":"mine","image":"two"}', ['me']),
        entry('e', '{broken'),
        entry('f', ''),
      ],
      (m) => warnings.push(m),
    );
    expect(got).toEqual([
      { name: 'a', image: 'one', resources: {} },
      { name: 'mine', image: 'two', resources: {} },
    ]);
    expect(warnings).toEqual([expect.stringContaining('Could not unmarshal container e')]);
  });
});

describe('daprsystem mTLS setting', () => {
  it.each<[string, unknown, boolean]>([
    ['enabled', { metadata: { name: 'daprsystem' }, spec: { mtls: { enabled: true } } }, true],
    ['disabled', { metadata: { name: 'daprsystem' }, spec: { mtls: { enabled: false } } }, false],
    ['unset', { metadata: { name: 'daprsystem' }, spec: {} }, true],
  ])('%s', (_name, raw, enabled) => {
    expect(mtlsEnabledIn(raw)?.enabled).toBe(enabled);
  });
});

describe('allowed service-account UIDs (§1.4)', () => {
  it('looks up the exact namespace:name entries, built-ins included, and skips the missing ones', async () => {
    const { allowedUids, uidLookupEntries } = await import('./allowed-uids.js');
    const entries = uidLookupEntries('team:deployer,bad');
    expect(entries.slice(0, 3)).toEqual(['team:deployer', 'bad', 'kube-system:replicaset-controller']);
    const uids = allowedUids(
      {
        items: [
          { metadata: { namespace: 'team', name: 'deployer', uid: 'u1' } },
          { metadata: { namespace: 'kube-system', name: 'replicaset-controller', uid: 'u2' } },
          { metadata: { namespace: 'kube-system', name: 'other', uid: 'u3' } },
        ],
      },
      entries,
    );
    expect([...uids].sort()).toEqual(['u1', 'u2']);
  });
});

describe('MtlsSetting: a GET of daprsystem in the control-plane namespace', () => {
  const path = '/apis/dapr.io/v1alpha1/namespaces/dapr-system/configurations/daprsystem';

  it('follows spec.mtls.enabled, and a missing Configuration means enabled', async () => {
    const api = new FakeKubeApi().withObject(path, {
      metadata: { name: 'daprsystem' },
      spec: { mtls: { enabled: false } },
    });
    const setting = new MtlsSetting(api, 'dapr-system');
    await setting.refresh();
    expect(setting.enabled).toBe(false);
    expect(api.requests.map((r) => r.path)).toEqual([path]);
    const missing = new MtlsSetting(new FakeKubeApi(), 'dapr-system');
    await missing.refresh();
    expect(missing.enabled).toBe(true);
  });
});
