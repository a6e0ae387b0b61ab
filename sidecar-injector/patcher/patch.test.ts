import { describe, expect, it } from '@jest/globals';
import type { Container, PatchOperation, Pod } from './k8s-types.js';
import type { FixtureOverrides } from './testing/fixtures.js';
import { applyPatch } from './testing/apply-patch.js';
import { testConfig, testPod } from './testing/fixtures.js';
import { patchOutcome } from './admission.js';
import { pointerSegment } from './labels.js';

const on = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'app' };

function patched(
  annotations: Record<string, string>,
  spec: Partial<NonNullable<Pod['spec']>> = {},
  overrides: FixtureOverrides = {},
): { ops: readonly PatchOperation[]; pod: Pod } {
  const pod = testPod(annotations, spec);
  const outcome = patchOutcome(pod, testConfig(pod, overrides));
  if (outcome.kind !== 'patch') throw new Error(`expected a patch, got ${outcome.kind}`);
  return { ops: outcome.ops, pod: applyPatch(pod, outcome.ops) };
}

describe('injector §1.5 the patch', () => {
  it('every op is add', () => {
    expect(patched(on).ops.every((o) => o.op === 'add')).toBe(true);
  });

  it('labels are escaped JSON pointers', () => {
    expect(pointerSegment('dapr.io/app-id')).toBe('dapr.io~1app-id');
    expect(patched(on).pod.metadata?.labels).toEqual({
      app: 'myapp',
      'dapr.io/sidecar-injected': 'true',
      'dapr.io/app-id': 'app',
      'dapr.io/metrics-enabled': 'true',
    });
  });

  it('existing app env is never overridden; missing variables are appended', () => {
    const spec = { containers: [{ name: 'app', env: [{ name: 'DAPR_GRPC_PORT', value: '1' }] }] };
    expect(patched(on, spec).pod.spec?.containers?.[0]?.env).toEqual([
      { name: 'DAPR_GRPC_PORT', value: '1' },
      { name: 'DAPR_HTTP_PORT', value: '3500' },
      { name: 'APP_PROTOCOL', value: 'http' },
    ]);
  });

  it('an existing volume of the same name is not added twice', () => {
    const spec = { volumes: [{ name: 'dapr-identity-token', emptyDir: {} }] };
    expect(patched(on, spec).pod.spec?.volumes).toEqual([{ name: 'dapr-identity-token', emptyDir: {} }]);
  });

  it('the UDS mount is skipped for a container with the same mountPath', () => {
    const spec = { containers: [{ name: 'app', volumeMounts: [{ name: 'mine', mountPath: '/sock' }] }] };
    const pod = patched({ ...on, 'dapr.io/unix-domain-socket-path': '/sock' }, spec).pod;
    expect(pod.spec?.containers?.[0]?.volumeMounts).toEqual([{ name: 'mine', mountPath: '/sock' }]);
  });

  it('pluggable components in a pod without volumes keep the token volume (upstream bug not replicated)', () => {
    const spec = { containers: [{ name: 'app' }, { name: 'comp' }] };
    const names = patched({ ...on, 'dapr.io/pluggable-components': 'comp' }, spec).pod.spec?.volumes?.map(
      (v) => v.name,
    );
    expect(names).toEqual(['dapr-identity-token', 'dapr-components-unix-domain-socket']);
  });

  it('injected component containers follow daprd, with socket env, mount and emptyDir volumes', () => {
    const comp: Container = {
      name: 'redis',
      image: 'r:1',
      volumeMounts: [{ name: 'cache', mountPath: '/c' }],
    };
    const inject = { ...on, 'dapr.io/inject-pluggable-components': 'true' };
    const pod = patched(inject, {}, { request: { injectedComponents: [comp] } }).pod;
    expect(pod.spec?.containers?.map((c) => c.name)).toEqual(['app', 'daprd', 'redis']);
    expect(pod.spec?.containers?.[2]?.env).toEqual([
      { name: 'DAPR_COMPONENT_SOCKETS_FOLDER', value: '/tmp/dapr-components-sockets' },
    ]);
    expect(pod.spec?.volumes?.map((v) => v.name)).toEqual([
      'dapr-identity-token',
      'dapr-components-unix-domain-socket',
      'cache',
    ]);
  });

  it('injected component containers are ignored without dapr.io/inject-pluggable-components', () => {
    const pod = patched(on, {}, { request: { injectedComponents: [{ name: 'redis' }] } }).pod;
    expect(pod.spec?.containers?.map((c) => c.name)).toEqual(['app', 'daprd']);
  });

  it('pluggable component names are not trimmed: "a, b" does not name container "b"', () => {
    const spec = { containers: [{ name: 'app' }, { name: 'a' }, { name: 'b' }] };
    const pod = patched({ ...on, 'dapr.io/pluggable-components': 'a, b' }, spec).pod;
    expect(pod.spec?.containers?.[1]?.env?.map((e) => e.name)).toEqual(['DAPR_COMPONENT_SOCKETS_FOLDER']);
    expect(pod.spec?.containers?.[2]?.env?.map((e) => e.name)).toEqual([
      'DAPR_HTTP_PORT',
      'DAPR_GRPC_PORT',
      'APP_PROTOCOL',
    ]);
  });

  it('empty labels get the /metadata/labels op too', () => {
    const pod = testPod(on);
    const bare = { ...pod, metadata: { ...pod.metadata, labels: {} } };
    const outcome = patchOutcome(bare, testConfig(bare));
    expect(outcome.kind === 'patch' && outcome.ops.some((o) => o.path === '/metadata/labels')).toBe(true);
  });

  it('a native sidecar goes to initContainers with restartPolicy Always', () => {
    const pod = patched({ ...on, 'dapr.io/enable-native-sidecar': 'true' }).pod;
    expect(pod.spec?.containers?.map((c) => c.name)).toEqual(['app']);
    expect(pod.spec?.initContainers?.[0]).toMatchObject({ name: 'daprd', restartPolicy: 'Always' });
  });

  it.each([
    ['disabled', { 'dapr.io/enabled': 'false', 'dapr.io/app-id': 'a' }, {}, 'skip'],
    ['already injected', on, { containers: [{ name: 'daprd' }] }, 'skip'],
    ['empty app-id', { 'dapr.io/enabled': 'true' }, {}, 'deny'],
    ['invalid app-id', { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'A' }, {}, 'deny'],
  ])('%s gives %s', (_name, annotations, spec, kind) => {
    const pod = testPod(annotations, spec);
    expect(patchOutcome(pod, testConfig(pod)).kind).toBe(kind);
  });
});

describe('applyPatch', () => {
  it('throws on a path that does not exist', () => {
    expect(() => applyPatch({}, [{ op: 'add', path: '/a/b', value: 1 }])).toThrow(/does not exist/);
  });
});
