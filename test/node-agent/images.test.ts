import { describe, expect, it } from '@jest/globals';
import { parseImage, resolveImage, type ImagePaths } from './images.js';

const present = new Set([
  '/cache/dapr/sentry',
  '/cache/dapr/placement',
  '/cache/dapr/operator',
  '/repo/dist/sentry/main.js',
  '/repo/dist/sidecar-injector/main.js',
  '/repo/dist/all-in-one/main.js',
  '/repo/dist/test/apps/echo.js',
  '/usr/bin/node',
  '/bin/sh',
]);
const paths = (extra: string[] = []): ImagePaths => ({
  daprDir: '/cache/dapr',
  daprVersion: 'v1.18.3',
  repoRoot: '/repo',
  nodePath: '/usr/bin/node',
  exists: (p) => present.has(p) || extra.includes(p),
});

describe('parseImage', () => {
  it.each([
    ['ghcr.io/dapr/daprd:1.18.3', 'ghcr.io/dapr/daprd', '1.18.3'],
    ['docker.io/daprio/daprd:1.18.3', 'daprio/daprd', '1.18.3'],
    ['docker.io/library/busybox', 'busybox', 'latest'],
    ['localhost:5000/x/y:2@sha256:abc', 'localhost:5000/x/y', '2'],
    ['dapr-ts/test-app:echo', 'dapr-ts/test-app', 'echo'],
  ])('%s', (image, repository, tag) => expect(parseImage(image)).toEqual({ repository, tag }));
});

describe('resolveImage', () => {
  it('maps daprd images to the cached daprd with the container args', () => {
    for (const image of [
      'ghcr.io/dapr/daprd:1.18.3',
      'daprio/daprd:1.18.3',
      'docker.io/daprio/daprd:1.18.3',
    ]) {
      expect(
        resolveImage(image, ['/daprd'], ['--mode', 'kubernetes'], paths(['/cache/dapr/daprd'])),
      ).toMatchObject({
        ok: true,
        kind: 'daprd',
        program: '/cache/dapr/daprd',
        args: ['--mode', 'kubernetes'],
        user: { uid: 65532, gid: 65532 },
      });
    }
  });

  it('takes command + args as the whole argv of daprd (the image has no entrypoint)', () => {
    expect(
      resolveImage('ghcr.io/dapr/daprd:1.18.3', ['/daprd'], ['--app-id', 'a'], paths(['/cache/dapr/daprd'])),
    ).toMatchObject({
      args: ['--app-id', 'a'],
    });
    expect(
      resolveImage('ghcr.io/dapr/daprd:1.18.3', [], ['--app-id', 'a'], paths(['/cache/dapr/daprd'])),
    ).toMatchObject({
      ok: false,
      reason: 'CreateContainerError',
    });
  });

  it('fails a daprd container clearly when daprd is not built', () => {
    const r = resolveImage('ghcr.io/dapr/daprd:1.18.3', [], ['--mode', 'kubernetes'], paths());
    expect(r).toMatchObject({ ok: false, reason: 'DaprdUnavailable' });
    expect(!r.ok && r.message).toMatch(/\/cache\/dapr\/daprd does not exist.*npm run deps/);
  });

  it('maps the upstream control-plane image by the command name', () => {
    expect(
      resolveImage('ghcr.io/dapr/dapr:1.18.3', ['./sentry'], ['--mode', 'kubernetes'], paths()),
    ).toMatchObject({
      ok: true,
      kind: 'dapr-control-plane',
      program: '/cache/dapr/sentry',
      args: ['--mode', 'kubernetes'],
    });
    expect(resolveImage('daprio/dapr:1.18.3', ['/placement', '--port', '1'], ['--x'], paths())).toMatchObject(
      {
        program: '/cache/dapr/placement',
        args: ['--port', '1', '--x'],
      },
    );
    expect(resolveImage('ghcr.io/dapr/dapr:1.18.3', ['/injector'], [], paths())).toMatchObject({
      ok: false,
      reason: 'ImageUnavailable',
    });
    expect(resolveImage('ghcr.io/dapr/dapr:1.18.3', [], [], paths())).toMatchObject({
      ok: false,
      reason: 'CreateContainerError',
    });
  });

  it('maps our image to node dist/<service>/main.js', () => {
    expect(
      resolveImage('ghcr.io/dapr-ts/dapr-ts:0.1.0', ['/sentry'], ['--port', '50001'], paths()),
    ).toMatchObject({
      ok: true,
      kind: 'dapr-ts',
      program: '/usr/bin/node',
      args: ['/repo/dist/sentry/main.js', '--port', '50001'],
    });
    expect(resolveImage('dapr-ts:dev', ['injector'], [], paths())).toMatchObject({
      args: ['/repo/dist/sidecar-injector/main.js'],
    });
    expect(resolveImage('dapr-ts:dev', ['/all-in-one'], ['sentry'], paths())).toMatchObject({
      args: ['/repo/dist/all-in-one/main.js', 'sentry'],
    });
    expect(resolveImage('dapr-ts:dev', ['operator'], [], paths())).toMatchObject({
      ok: false,
      reason: 'ImageUnavailable',
    });
  });

  it('maps test apps to their script, and honours a command override with the host userland', () => {
    expect(resolveImage('dapr-ts/test-app:echo', [], ['--port', '1'], paths())).toMatchObject({
      ok: true,
      kind: 'test-app',
      program: '/usr/bin/node',
      args: ['/repo/dist/test/apps/echo.js', '--port', '1'],
    });
    expect(resolveImage('dapr-ts/test-app:echo', ['/bin/sh', '-c'], ['true'], paths())).toMatchObject({
      program: '/bin/sh',
      args: ['-c', 'true'],
    });
    expect(resolveImage('dapr-ts/test-app:nope', [], [], paths())).toMatchObject({
      ok: false,
      reason: 'ErrImagePull',
    });
    expect(resolveImage('dapr-ts/test-app:Bad.Name', [], [], paths())).toMatchObject({
      ok: false,
      reason: 'InvalidImageName',
    });
    expect(resolveImage('dapr-ts/test-app:../../x', [], [], paths())).toMatchObject({ ok: false });
  });

  it('runs a Python test app from its source with the system Python', () => {
    const py = ['/repo/test/apps/pythonapp.py', '/usr/bin/python3'];
    expect(resolveImage('dapr-ts/test-app:pythonapp', [], ['-u'], paths(py))).toMatchObject({
      ok: true,
      kind: 'test-app',
      program: '/usr/bin/python3',
      args: ['/repo/test/apps/pythonapp.py', '-u'],
    });
    expect(resolveImage('dapr-ts/test-app:pythonapp', [], [], paths([py[0]!]))).toMatchObject({
      ok: false,
      reason: 'CreateContainerError',
    });
  });

  it('runs busybox commands from the host userland as root', () => {
    expect(resolveImage('busybox:1.36', ['sh', '-c', 'exit 3'], [], paths())).toMatchObject({
      ok: true,
      program: '/bin/sh',
      args: ['-c', 'exit 3'],
      user: { uid: 0, gid: 0 },
    });
  });

  it('refuses unknown images with ErrImagePull and names the table', () => {
    const r = resolveImage('nginx:1.27', [], [], paths());
    expect(r).toMatchObject({ ok: false, reason: 'ErrImagePull' });
    expect(!r.ok && r.message).toMatch(/no local program for image "nginx:1.27".*images\.ts/);
  });
});
