// The dapr-ts image run as users run it: the OCI archive `npm run image` writes (image/build.sh),
// unpacked with umoci into a root filesystem, and containers started from it with runc, the
// runtime containerd and CRI-O use by default (both from Debian: test/deps/fetch.sh oci-tools).
// Each container keeps the image's own process settings (environment, working directory) and
// gets the test's user, arguments and input files; its root filesystem is read-only and it
// holds no capability, as the chart's securityContext asks. Its network namespace is the host's:
// the services listen on loopback ports the test picked, like the other suites' processes.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cacheDir, cachedBinary, repoRoot } from '../deps/paths.js';
import { ManagedProcess, PROCESS_MARKER, runId } from '../../kit/testing/managed-process.js';
import { run } from './tools.js';

/** The image's tag: the chart's global.tag, which image/build.sh names the archive after. */
export function imageTag(): string {
  const values = readFileSync(join(repoRoot, 'charts', 'dapr', 'values.yaml'), 'utf8');
  const tag = /^ {2}tag: "([^"]+)"$/m.exec(values)?.[1];
  if (tag === undefined) throw new Error('cannot read global.tag from charts/dapr/values.yaml');
  return tag;
}

/** The OCI archive `npm run image` wrote; throws, saying how to build it, when it is missing. */
export function imageArchive(): string {
  const path = join(cacheDir, 'image', `dapr-ts-${imageTag()}.oci.tar`);
  if (!existsSync(path)) {
    throw new Error(
      `the dapr-ts image is not built (${path} is missing). Build it with \`npm run image\` ` +
        '(or test/deps/fetch.sh image, which `npm test` runs).',
    );
  }
  return path;
}

/** The OCI runtime config's parts this harness reads and changes (runtime-spec config.json). */
export interface RuntimeConfig {
  hostname?: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities?: Record<string, string[]>;
    [key: string]: unknown;
  };
  root: { path: string; readonly?: boolean };
  mounts: Array<{ destination: string; type?: string; source?: string; options?: string[] }>;
  linux: { namespaces: Array<{ type: string; path?: string }>; [key: string]: unknown };
  [key: string]: unknown;
}

/** The image unpacked once: its root filesystem and the runtime config umoci made from it. */
export class UnpackedImage {
  private constructor(
    readonly dir: string,
    readonly rootfs: string,
    readonly config: Readonly<RuntimeConfig>,
  ) {}

  /** Unpacks the archive into a fresh temp dir (remove it with dispose()). */
  static async unpack(archive = imageArchive()): Promise<UnpackedImage> {
    const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-image-`));
    try {
      const layout = join(dir, 'layout');
      mkdirSync(layout);
      const untar = await run('tar', ['-C', layout, '-xf', archive]);
      if (untar.code !== 0) throw new Error(`unpacking ${archive} failed: ${untar.stderr}`);
      const bundle = join(dir, 'bundle');
      const unpacked = await run(cachedBinary('umoci'), [
        'unpack',
        '--image',
        `${layout}:${imageTag()}`,
        bundle,
      ]);
      if (unpacked.code !== 0) throw new Error(`umoci unpack of ${archive} failed: ${unpacked.stderr}`);
      rmSync(layout, { recursive: true, force: true });
      const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as RuntimeConfig;
      return new UnpackedImage(dir, join(bundle, 'rootfs'), config);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ContainerOptions {
  /** Unique among the test's containers: the runc container id and the log file's name. */
  readonly name: string;
  /** The process: an entry point of the image (/sentry, …) and its arguments. */
  readonly args: readonly string[];
  /** Added to the image's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly uid: number;
  readonly gid: number;
  /**
   * Files the container reads, by their path inside it (a token, the trust anchors, a
   * kubeconfig): written read-only (0444) to the test's dir and bind-mounted read-only.
   */
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** Where the log and the container's bundle go (the test's temp dir). */
  readonly dir: string;
}

/** One container, started with `runc run` in the foreground, owned by the test like a process. */
export class Container {
  private constructor(
    readonly name: string,
    readonly proc: ManagedProcess,
    private readonly stateDir: string,
    private readonly id: string,
  ) {}

  static async start(image: UnpackedImage, options: ContainerOptions): Promise<Container> {
    const bundle = join(options.dir, `${options.name}-bundle`);
    const stateDir = join(options.dir, `${options.name}-runc`);
    mkdirSync(bundle, { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    const config = runtimeConfig(image, {
      args: options.args,
      env: options.env ?? {},
      uid: options.uid,
      gid: options.gid,
      readOnlyRoot: true,
      binds: fileBinds(options, bundle),
    });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 1));
    const id = `dapr-ts-${runId}-${options.name}`;
    const proc = await ManagedProcess.start({
      name: options.name,
      command: cachedBinary('runc'),
      args: ['--root', stateDir, 'run', '--bundle', bundle, id],
      logFile: join(options.dir, `${options.name}.log`),
    });
    return new Container(options.name, proc, stateDir, id);
  }

  /** The container's main process as the host sees it (for /proc readings), or undefined. */
  async hostPid(): Promise<number | undefined> {
    const state = await run(cachedBinary('runc'), ['--root', this.stateDir, 'state', this.id]);
    if (state.code !== 0) return undefined;
    return (JSON.parse(state.stdout) as { pid?: number }).pid;
  }

  /**
   * SIGTERM to the container's process (runc kill: one signal, as the kubelet sends), SIGKILL
   * after `graceMs`, then the container's state is deleted. Resolves with runc's exit status.
   */
  async stop(graceMs = 10_000): Promise<number | string> {
    const runc = cachedBinary('runc');
    if (this.proc.running) await run(runc, ['--root', this.stateDir, 'kill', this.id, 'TERM']);
    const status = await Promise.race([
      this.proc.exited,
      new Promise<'timeout'>((ok) => setTimeout(() => ok('timeout'), graceMs).unref()),
    ]);
    if (status === 'timeout') await run(runc, ['--root', this.stateDir, 'kill', this.id, 'KILL']);
    const exited = await this.proc.stop();
    await run(runc, ['--root', this.stateDir, 'delete', '--force', this.id]);
    return exited;
  }
}

export interface BindSpec {
  /** Host path: a directory, or a file. */
  readonly source: string;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

/** What runs in a container of the image, and what it sees. */
export interface ProcessSpec {
  readonly args: readonly string[];
  /** Added to the image's environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly uid: number;
  readonly gid: number;
  readonly groups?: readonly number[];
  /** Default: the image's working directory. */
  readonly cwd?: string;
  readonly hostname?: string;
  readonly readOnlyRoot: boolean;
  readonly binds: readonly BindSpec[];
  /** A network namespace to join (e.g. /var/run/netns/<name>); default: runc's own. */
  readonly netns?: string;
}

/**
 * The image's runtime config (umoci's, from the image's config) for one process: its user and
 * groups, no capabilities, no new privileges, the binds; in the network namespace given, else
 * in runc's own (no new one), and without the host's cgroup hierarchy.
 */
export function runtimeConfig(image: UnpackedImage, spec: ProcessSpec): RuntimeConfig {
  const base = image.config;
  const env = [
    ...base.process.env.filter((e) => !e.startsWith('TERM=')),
    ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    // The reaper finds leftovers of a crashed run by this marker (test/harness/reaper.ts).
    `${PROCESS_MARKER}=${runId}`,
  ];
  const none = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  return {
    ...base,
    ...(spec.hostname !== undefined ? { hostname: spec.hostname } : {}),
    process: {
      ...base.process,
      terminal: false,
      user: { uid: spec.uid, gid: spec.gid, additionalGids: [...(spec.groups ?? [])] },
      args: [...spec.args],
      env,
      cwd: spec.cwd ?? base.process.cwd,
      capabilities: none,
      noNewPrivileges: true,
    },
    root: { path: image.rootfs, readonly: spec.readOnlyRoot },
    mounts: [
      ...base.mounts.filter((m) => m.destination !== '/sys/fs/cgroup'),
      ...spec.binds.map((b) => ({
        destination: b.target,
        type: 'bind',
        source: b.source,
        options: ['rbind', b.readOnly ? 'ro' : 'rw', 'nosuid', 'nodev'],
      })),
    ],
    linux: {
      ...base.linux,
      namespaces: [
        ...base.linux.namespaces.filter((n) => n.type !== 'network'),
        ...(spec.netns !== undefined ? [{ type: 'network', path: spec.netns }] : []),
      ],
    },
  };
}

/** Writes the container's input files under the bundle, one read-only bind per directory. */
function fileBinds(options: ContainerOptions, bundle: string): BindSpec[] {
  const byDir = new Map<string, string>();
  for (const [path, content] of Object.entries(options.files ?? {})) {
    const inside = dirname(path);
    let source = byDir.get(inside);
    if (source === undefined) {
      source = join(bundle, 'files', String(byDir.size));
      mkdirSync(source, { recursive: true, mode: 0o755 });
      byDir.set(inside, source);
    }
    writeFileSync(join(source, path.slice(inside.length + 1)), content, { mode: 0o444 });
  }
  return [...byDir].map(([target, source]) => ({ source, target, readOnly: true }));
}
