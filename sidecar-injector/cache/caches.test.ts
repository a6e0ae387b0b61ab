// injector-and-chart.md §2 (inject-pluggable-components), §3.2 item 27 (--enable-mtls): the
// pure parts of the two caches the admission path reads.
import { describe, expect, it } from '@jest/globals';
import { componentEntry, injectableContainers, type ComponentEntry } from './component-containers.js';
import { mtlsEnabledIn } from './mtls-setting.js';

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
