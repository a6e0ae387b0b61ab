// The node agent's "registry": which local program a container image stands for. Pure: the
// image, the container's (already $(VAR)-expanded) command and args and the local paths in,
// a program and argv out, or the reason the container cannot start.
//
//   image                                             program
//   ghcr.io/dapr/daprd:*, daprio/daprd:*              <cache>/dapr-<ver>/daprd <argv[1:]>   (argv = command + args,
//   ghcr.io/dapr/dapr:*, daprio/dapr:*                <cache>/dapr-<ver>/<basename argv[0]> <argv[1:]>   no ENTRYPOINT)
//   ghcr.io/dapr-ts/dapr-ts:*, dapr-ts:*              node dist/<service>/main.js <command[1:]> <args>
//   dapr-ts/test-app:<name>                           node dist/test/apps/<name>.js <args>, or /usr/bin/python3
//                                                     test/apps/<name>.py <args>  (a command overrides either)
//   busybox:*                                         the host's userland (command required)
//
// Kubernetes semantics: `command` replaces the image's entrypoint, `args` its default arguments.

export interface ImagePaths {
  /** Directory of the cached upstream Go binaries (sentry, placement, ..., daprd). */
  readonly daprDir: string;
  readonly daprVersion: string;
  readonly repoRoot: string;
  /** The node binary test apps and our services run with. */
  readonly nodePath: string;
  readonly exists: (path: string) => boolean;
}

export interface ImageUser {
  readonly uid: number;
  readonly gid: number;
}

export type ImageKind = 'daprd' | 'dapr-control-plane' | 'dapr-ts' | 'test-app' | 'busybox';

export interface ResolvedImage {
  readonly ok: true;
  readonly kind: ImageKind;
  /** Host path of the program to execute. */
  readonly program: string;
  readonly args: string[];
  /** The image's default user (distroless "nonroot" for Dapr's images). */
  readonly user: ImageUser;
  /** Environment the image sets (PATH, HOME). */
  readonly env: Record<string, string>;
}

export interface ImageFailure {
  readonly ok: false;
  /** Container waiting reason, e.g. ErrImagePull, DaprdUnavailable. */
  readonly reason: string;
  readonly message: string;
}

export type ImageResolution = ResolvedImage | ImageFailure;

export const NONROOT: ImageUser = { uid: 65532, gid: 65532 };
const IMAGE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/' };

export const CONTROL_PLANE_BINARIES = [
  'sentry',
  'placement',
  'operator',
  'injector',
  'scheduler',
  'daprd',
] as const;
/** Our services and the dist/ entry point of each. */
export const DAPR_TS_SERVICES: Readonly<Record<string, string>> = {
  sentry: 'dist/sentry/main.js',
  placement: 'dist/placement/main.js',
  operator: 'dist/operator/main.js',
  injector: 'dist/sidecar-injector/main.js',
  // The four in one process (global.allInOne.enabled, docs/all-in-one.md).
  'all-in-one': 'dist/all-in-one/main.js',
  // The chart's `helm test` check (the image's /healthcheck).
  healthcheck: 'dist/kit/healthcheck/main.js',
};

/** Repository (registry, `docker.io/` and `library/` dropped) and tag of an image reference. */
export function parseImage(image: string): { repository: string; tag: string } {
  let ref = image.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  let tag = 'latest';
  if (colon > slash) {
    tag = ref.slice(colon + 1);
    ref = ref.slice(0, colon);
  }
  ref = ref.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  return { repository: ref, tag };
}

const basename = (p: string): string => p.replace(/\/+$/, '').split('/').pop() ?? p;

function failure(reason: string, message: string): ImageFailure {
  return { ok: false, reason, message };
}

/**
 * daprd's image has no ENTRYPOINT (distroless, the binary at /daprd): `command` + `args` is the
 * whole argv, and the injector puts `/daprd` in args[0].
 */
function resolveDaprd(image: string, paths: ImagePaths, argv: readonly string[]): ImageResolution {
  const program = `${paths.daprDir}/daprd`;
  if (!paths.exists(program)) {
    return failure(
      'DaprdUnavailable',
      `daprd ${paths.daprVersion} is not available: ${program} does not exist. Build it with \`npm run deps\` ` +
        '(test/deps/fetch.sh daprd); the node agent runs the real daprd and has no stand-in for it.',
    );
  }
  if (argv[0] === undefined || basename(argv[0]) !== 'daprd') {
    return failure(
      'CreateContainerError',
      `image ${image} has no entrypoint: command or args[0] must be /daprd (got ${JSON.stringify(argv.slice(0, 2))})`,
    );
  }
  return { ok: true, kind: 'daprd', program, args: argv.slice(1), user: NONROOT, env: { ...IMAGE_ENV } };
}

/** Upstream's control-plane image has no ENTRYPOINT either: argv[0] names the binary. */
function resolveControlPlane(image: string, paths: ImagePaths, argv: readonly string[]): ImageResolution {
  const name = argv[0] === undefined ? undefined : basename(argv[0]);
  if (name === undefined || !(CONTROL_PLANE_BINARIES as readonly string[]).includes(name)) {
    return failure(
      'CreateContainerError',
      `image ${image} needs a command naming one of ${CONTROL_PLANE_BINARIES.join(', ')} (got ${JSON.stringify(argv.slice(0, 1))})`,
    );
  }
  if (name === 'daprd') return resolveDaprd(image, paths, argv);
  const program = `${paths.daprDir}/${name}`;
  if (!paths.exists(program)) {
    return failure(
      'ImageUnavailable',
      `the upstream ${name} ${paths.daprVersion} is not built: ${program} does not exist. ` +
        'Run `npm run deps` (test/deps/fetch.sh dapr-control-plane).',
    );
  }
  return {
    ok: true,
    kind: 'dapr-control-plane',
    program,
    args: argv.slice(1),
    user: NONROOT,
    env: { ...IMAGE_ENV },
  };
}

function resolveDaprTs(
  image: string,
  paths: ImagePaths,
  command: readonly string[],
  args: readonly string[],
): ImageResolution {
  const name = command[0] === undefined ? undefined : basename(command[0]);
  const entry = name === undefined ? undefined : DAPR_TS_SERVICES[name];
  if (entry === undefined) {
    return failure(
      'CreateContainerError',
      `image ${image} needs a command naming one of ${Object.keys(DAPR_TS_SERVICES).join(', ')} (got ${JSON.stringify(command)})`,
    );
  }
  const script = `${paths.repoRoot}/${entry}`;
  if (!paths.exists(script)) {
    return failure(
      'ImageUnavailable',
      `${script} does not exist: build the project first (\`npm run build\`)`,
    );
  }
  return {
    ok: true,
    kind: 'dapr-ts',
    program: paths.nodePath,
    args: [script, ...command.slice(1), ...args],
    user: NONROOT,
    env: { ...IMAGE_ENV },
  };
}

function resolveTestApp(
  image: string,
  tag: string,
  paths: ImagePaths,
  command: readonly string[],
  args: readonly string[],
): ImageResolution {
  if (command.length > 0) return resolveHostCommand(image, 'test-app', paths, command, args, NONROOT);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(tag))
    return failure('InvalidImageName', `test app image ${image}: the tag must name a script in test/apps`);
  // A Python app (the walkthrough's pythonapp) runs with the host's Python from its source.
  const python = `${paths.repoRoot}/test/apps/${tag}.py`;
  if (paths.exists(python)) {
    if (!paths.exists(PYTHON)) return failure('CreateContainerError', `test app ${tag}: ${PYTHON} not found`);
    return {
      ok: true,
      kind: 'test-app',
      program: PYTHON,
      args: [python, ...args],
      user: NONROOT,
      env: { ...IMAGE_ENV },
    };
  }
  const script = `${paths.repoRoot}/dist/test/apps/${tag}.js`;
  if (!paths.exists(script)) {
    return failure(
      'ErrImagePull',
      `test app ${tag}: ${script} does not exist (is there a test/apps/${tag}.ts, and was \`npm run build\` run?)`,
    );
  }
  return {
    ok: true,
    kind: 'test-app',
    program: paths.nodePath,
    args: [script, ...args],
    user: NONROOT,
    env: { ...IMAGE_ENV },
  };
}

/** The system Python (readable by the non-root pod user, unlike a per-user pyenv). */
const PYTHON = '/usr/bin/python3';

/** An absolute program of the host's userland (the test-app and busybox images' /bin/sh etc.). */
function resolveHostCommand(
  image: string,
  kind: ImageKind,
  paths: ImagePaths,
  command: readonly string[],
  args: readonly string[],
  user: ImageUser,
): ImageResolution {
  const [first, ...rest] = command;
  if (first === undefined)
    return failure('CreateContainerError', `image ${image} has no entrypoint: set the container's command`);
  const candidates =
    first === 'node'
      ? [paths.nodePath]
      : first.startsWith('/')
        ? [first]
        : [`/usr/bin/${first}`, `/bin/${first}`];
  const program = candidates.find((c) => paths.exists(c));
  if (program === undefined)
    return failure('CreateContainerError', `image ${image}: executable ${first} not found`);
  return { ok: true, kind, program, args: [...rest, ...args], user, env: { ...IMAGE_ENV } };
}

/** Maps a container image (and its command/args) to a local program. */
export function resolveImage(
  image: string,
  command: readonly string[],
  args: readonly string[],
  paths: ImagePaths,
): ImageResolution {
  const { repository, tag } = parseImage(image);
  switch (repository) {
    case 'ghcr.io/dapr/daprd':
    case 'daprio/daprd':
      return resolveDaprd(image, paths, [...command, ...args]);
    case 'ghcr.io/dapr/dapr':
    case 'daprio/dapr':
      return resolveControlPlane(image, paths, [...command, ...args]);
    case 'ghcr.io/dapr-ts/dapr-ts':
    case 'dapr-ts':
      return resolveDaprTs(image, paths, command, args);
    case 'dapr-ts/test-app':
      return resolveTestApp(image, tag, paths, command, args);
    case 'busybox':
      return resolveHostCommand(image, 'busybox', paths, command, args, { uid: 0, gid: 0 });
    default:
      return failure(
        'ErrImagePull',
        `the dapr-ts node agent has no local program for image "${image}" (see test/node-agent/images.ts; known: ` +
          'ghcr.io/dapr/daprd, ghcr.io/dapr/dapr, ghcr.io/dapr-ts/dapr-ts, dapr-ts/test-app:<script>, busybox)',
      );
  }
}
