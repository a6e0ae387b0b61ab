import { describe, expect, it } from '@jest/globals';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import {
  expandCommand,
  expandVars,
  formatMap,
  parseQuantity,
  resolveEnv,
  resolveFieldRef,
  resolveResourceField,
} from './env.js';

describe('expandVars', () => {
  const vars = new Map([
    ['A', 'alpha'],
    ['B', 'beta'],
  ]);
  it.each([
    ['$(A)', 'alpha'],
    ['x-$(A)-$(B)-y', 'x-alpha-beta-y'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$alpha'],
    ['$(A', '$(A'],
    ['cost $5', 'cost $5'],
    ['trailing $', 'trailing $'],
    ['$()', '$()'],
    ['', ''],
  ])('%j → %j', (input, want) => {
    expect(expandVars(input, vars)).toBe(want);
  });

  it('accepts a plain record', () => {
    expect(expandVars('$(A)', { A: '1' })).toBe('1');
    expect(expandVars('$(toString)', {})).toBe('$(toString)');
  });
});

describe('parseQuantity', () => {
  it.each([
    ['1', 1],
    ['1500m', 1.5],
    ['64Mi', 64 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['2k', 2000],
    ['1e3', 1000],
    ['0.5', 0.5],
  ])('%s', (q, n) => expect(parseQuantity(q)).toBeCloseTo(n));
  it('rejects garbage', () => expect(() => parseQuantity('lots')).toThrow(/invalid quantity/));
});

const pod: V1Pod = {
  metadata: {
    name: 'web-1',
    namespace: 'apps',
    uid: 'u-1',
    labels: { app: 'web', tier: 'front' },
    annotations: { note: 'hi "there"' },
  },
  spec: { nodeName: 'node-a', serviceAccountName: 'sa', containers: [] },
};

describe('resolveFieldRef', () => {
  it.each([
    ['metadata.name', 'web-1'],
    ['metadata.namespace', 'apps'],
    ['metadata.uid', 'u-1'],
    ['spec.nodeName', 'node-a'],
    ['spec.serviceAccountName', 'sa'],
    ['status.podIP', '198.18.1.5'],
    ['status.hostIP', '198.18.1.1'],
    ["metadata.labels['app']", 'web'],
    ["metadata.annotations['note']", 'hi "there"'],
    ["metadata.labels['nope']", ''],
    ['metadata.labels', 'app="web"\ntier="front"'],
  ])('%s', (path, want) => expect(resolveFieldRef(pod, path, '198.18.1.5', '198.18.1.1')).toBe(want));
  it('is undefined for an unknown path', () =>
    expect(resolveFieldRef(pod, 'spec.bogus', '', '')).toBeUndefined());
  it('formats maps sorted with quoted values', () =>
    expect(formatMap({ b: '2', a: 'x"y' })).toBe('a="x\\"y"\nb="2"'));
});

describe('resolveResourceField', () => {
  const c: V1Container = {
    name: 'c',
    resources: { limits: { cpu: '1500m', memory: '256Mi' }, requests: { memory: '64Mi' } },
  };
  const alloc = { cpu: '8', memory: '16Gi' };
  it('rounds CPU up to whole cores and divides memory', () => {
    expect(resolveResourceField({ resource: 'limits.cpu' }, c, alloc)).toBe('2');
    expect(resolveResourceField({ resource: 'limits.cpu', divisor: '1m' }, c, alloc)).toBe('1500');
    expect(resolveResourceField({ resource: 'requests.memory', divisor: '1Mi' }, c, alloc)).toBe('64');
    expect(resolveResourceField({ resource: 'limits.memory', divisor: '0' }, c, alloc)).toBe(
      String(256 * 2 ** 20),
    );
  });
  it('uses node allocatable for unset limits, and limits for unset requests', () => {
    expect(resolveResourceField({ resource: 'limits.cpu' }, { name: 'x' }, alloc)).toBe('8');
    expect(resolveResourceField({ resource: 'requests.cpu', divisor: '1m' }, c, alloc)).toBe('1500');
    expect(resolveResourceField({ resource: 'requests.cpu' }, { name: 'x' }, alloc)).toBe('0');
  });
});

describe('resolveEnv', () => {
  const container: V1Container = {
    name: 'app',
    envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'CM_' }, { secretRef: { name: 's' } }],
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'MSG', value: 'hello $(POD) on $(KUBERNETES_SERVICE_HOST), $(LATER)' },
      { name: 'LATER', value: 'x' },
      { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cm', key: 'color' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k', optional: true } } },
    ],
    command: ['/bin/$(POD)'],
    args: ['--msg=$(MSG)', '$$(POD)'],
  };
  const sources = {
    pod,
    container,
    podIp: '198.18.1.5',
    hostIp: '198.18.1.1',
    configMap: (n: string) => (n === 'cm' ? { data: { color: 'blue', 'bad key': 'x' } } : undefined),
    secret: (n: string) =>
      n === 's' ? { data: { password: Buffer.from('s3cret').toString('base64') } } : undefined,
    nodeAllocatable: { cpu: '4', memory: '8Gi' },
  };

  it('orders envFrom before env, expands references to earlier variables only, and skips invalid names', () => {
    const { env, errors } = resolveEnv(sources, new Map([['KUBERNETES_SERVICE_HOST', '198.18.1.1']]));
    expect(errors).toEqual([]);
    expect(Object.fromEntries(env)).toEqual({
      KUBERNETES_SERVICE_HOST: '198.18.1.1',
      CM_color: 'blue',
      password: 's3cret',
      POD: 'web-1',
      MSG: 'hello web-1 on 198.18.1.1, $(LATER)',
      LATER: 'x',
      COLOR: 'blue',
      PW: 's3cret',
    });
    expect(expandCommand(container, env)).toEqual({
      command: ['/bin/web-1'],
      args: ['--msg=hello web-1 on 198.18.1.1, $(LATER)', '$(POD)'],
    });
  });

  it('reports missing ConfigMaps, Secrets and keys', () => {
    const { errors } = resolveEnv({
      ...sources,
      container: {
        name: 'c',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'nokey' } } },
          { name: 'C', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } },
        ],
        envFrom: [{ secretRef: { name: 'gone' } }],
      },
    });
    expect(errors).toEqual([
      'secret "gone" not found',
      'configmap "nope" not found',
      "couldn't find key nokey in Secret apps/s",
      'env C: unsupported fieldRef spec.bogus',
    ]);
  });
});
