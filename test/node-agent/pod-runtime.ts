// Runs one pod bound to the node: its network namespace (sandbox), its volumes, its init
// containers in order (native sidecars started and kept running), then its containers, each
// supervised with probes and restarts per restartPolicy; and, on deletion, the graceful stop
// and teardown. Everything it knows goes into snapshot() for the status writer.
import type { V1ConfigMap, V1Container, V1Pod, V1Probe, V1Secret } from '@kubernetes/client-node';
import { mkdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cachedBinary } from '../deps/paths.js';
import {
  imageArchive,
  runtimeConfig,
  type RuntimeConfig,
  type UnpackedImage,
} from '../harness/oci-runtime.js';
import { ManagedProcess } from '../../kit/testing/managed-process.js';
import {
  backoffDelay,
  ContainerRunner,
  exitOf,
  shouldRestart,
  type BackoffPolicy,
  type RestartPolicy,
} from './container.js';
import { expandCommand, resolveEnv, type EnvSources } from './env.js';
import { resolveImage, type ImagePaths, type ResolvedImage } from './images.js';
import type { KubeClient } from './kube-client.js';
import {
  hostRootEntries,
  planMounts,
  PRIVATE_DIRS,
  realFs,
  renderLaunchScript,
  worldAccessible,
  type BindMount,
  type RootEntry,
} from './launcher.js';
import type { PodNetwork, Sandbox } from './network.js';
import { Prober, type ProbeKind, type ProbeTarget } from './probes.js';
import type { PodSnapshot } from './status.js';
import { PodVolumes, VolumeError } from './volumes.js';

export interface RuntimeDeps {
  readonly client: KubeClient;
  readonly network: PodNetwork;
  readonly apiserverPort: number;
  readonly imagePaths: ImagePaths;
  readonly podsDir: string;
  readonly nodeAllocatable: EnvSources['nodeAllocatable'];
  readonly backoff: BackoffPolicy;
  readonly volumeSyncMs: number;
  /** Absolute path of `ip`. */
  readonly ipPath: string;
  readonly hostsFor: (pod: V1Pod, ip: string) => string;
  /** Network setup the agent adds before any container starts (the Service rules). */
  readonly prepareSandbox: (sb: Sandbox) => Promise<void>;
  readonly onChange: (rt: PodRuntime) => void;
  readonly log: (msg: string) => void;
  /**
   * The dapr-ts image unpacked (once per agent): dapr-ts containers then run from it under runc;
   * without it, as `node dist/<service>/main.js` on the host's userland.
   */
  readonly daprTsImage?: () => Promise<UnpackedImage>;
}

type ContainerUser = { uid: number; gid: number; groups: number[] };

/** How a container's process is started in the pod's network namespace. */
interface Launch {
  readonly command: string;
  readonly args: readonly string[];
  /** The process's environment; default: the container's. */
  readonly env?: Record<string, string>;
  readonly imageId: string;
}

/** Where images' programs appear in a container when the host path is not world-readable. */
const IMAGE_DIR = '/.dapr-ts-image';
let rootEntries: RootEntry[] | undefined;
const IMAGE_RETRY_MS = 3000;

const nowIso = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class PodRuntime {
  pod: V1Pod;
  readonly uid: string;
  readonly dir: string;
  sandbox: Sandbox | undefined;
  volumes: PodVolumes | undefined;
  readonly inits: ContainerRunner[];
  readonly containers: ContainerRunner[];
  terminating = false;
  /** Sandbox torn down, nothing of the pod runs any more. */
  finished = false;
  readonly startTime = nowIso();
  readonly createdAtMs = Date.now();
  readyAtMs: number | undefined;
  #abort = new AbortController();
  #main: Promise<void> | undefined;
  #supervisors: Promise<void>[] = [];
  #volumeTimer: NodeJS.Timeout | undefined;
  #terminated: Promise<void> | undefined;

  constructor(
    pod: V1Pod,
    readonly deps: RuntimeDeps,
  ) {
    this.pod = pod;
    this.uid = pod.metadata?.uid ?? '';
    const meta = pod.metadata ?? {};
    this.dir = join(deps.podsDir, `${meta.namespace}_${meta.name}_${this.uid.slice(0, 8)}`);
    this.inits = (pod.spec?.initContainers ?? []).map(
      (c) => new ContainerRunner(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init'),
    );
    this.containers = (pod.spec?.containers ?? []).map((c) => new ContainerRunner(c, 'regular'));
  }

  get namespace(): string {
    return this.pod.metadata?.namespace ?? 'default';
  }

  get name(): string {
    return this.pod.metadata?.name ?? '';
  }

  get hostname(): string {
    return (this.pod.spec?.hostname ?? this.name).slice(0, 63);
  }

  get restartPolicy(): RestartPolicy {
    return (this.pod.spec?.restartPolicy ?? 'Always') as RestartPolicy;
  }

  /** Every container runner, init containers first. */
  get all(): ContainerRunner[] {
    return [...this.inits, ...this.containers];
  }

  logFileOf(container: string, previous = false): string | undefined {
    const c = this.all.find((x) => x.name === container);
    if (!c) return undefined;
    if (!previous) return c.logFile;
    return c.restartCount > 0 ? join(this.dir, 'logs', container, `${c.restartCount - 1}.log`) : undefined;
  }

  #changed(): void {
    this.deps.onChange(this);
  }

  snapshot(): PodSnapshot {
    return {
      hostIp: this.deps.network.hostIp,
      podIp: this.sandbox?.ip,
      startTime: this.startTime,
      sandboxReady: this.sandbox !== undefined && !this.finished,
      initContainers: this.inits.map((c) => c.snapshot()),
      containers: this.containers.map((c) => c.snapshot()),
      terminating: this.terminating,
      readinessGates: (this.pod.spec?.readinessGates ?? []).map((g) => g.conditionType),
    };
  }

  start(): void {
    this.#main ??= this.#run().catch((err: unknown) => {
      if (!this.terminating)
        this.deps.log(`pod ${this.namespace}/${this.name}: ${(err as Error).stack ?? String(err)}`);
    });
  }

  async #run(): Promise<void> {
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    this.sandbox = await this.deps.network.createSandbox((ip) => this.deps.hostsFor(this.pod, ip));
    if (this.terminating) return;
    await this.deps.prepareSandbox(this.sandbox);
    if (this.terminating) return;
    this.#changed();
    await this.#setupVolumes();
    if (this.terminating) return;
    for (const init of this.inits) {
      if (init.kind === 'sidecar') {
        this.#supervisors.push(this.#supervise(init, 'Always'));
        await Promise.race([init.firstStart, this.#aborted()]);
      } else {
        await this.#supervise(init, this.restartPolicy === 'Never' ? 'Never' : 'OnFailure');
        if (this.terminating || !('terminated' in init.state) || init.state.terminated.exitCode !== 0) {
          // A failed init container with restartPolicy Never fails the pod: nothing else starts.
          for (const c of this.containers) c.done = this.restartPolicy === 'Never';
          this.#changed();
          return;
        }
      }
      if (this.terminating) return;
    }
    const main: Promise<void>[] = [];
    for (const c of this.containers) {
      c.state = { waiting: { reason: 'ContainerCreating' } };
      main.push(this.#supervise(c, this.restartPolicy));
    }
    this.#supervisors.push(...main);
    this.#changed();
    await Promise.all(main);
    if (this.terminating) return;
    // Every container is done (restartPolicy Never/OnFailure): sidecars stop, the sandbox goes.
    this.terminating = true;
    this.#abort.abort();
    for (const s of this.inits.filter((c) => c.kind === 'sidecar').reverse()) await s.proc?.stop(30_000);
    await Promise.all(this.#supervisors);
    await this.#teardown();
  }

  #aborted(): Promise<void> {
    const signal = this.#abort.signal;
    return new Promise((ok) =>
      signal.aborted ? ok() : signal.addEventListener('abort', () => ok(), { once: true }),
    );
  }

  async #setupVolumes(): Promise<void> {
    const sb = this.sandbox!;
    this.volumes = new PodVolumes(this.pod, join(this.dir, 'volumes'), {
      client: this.deps.client,
      podIp: sb.ip,
      hostIp: this.deps.network.hostIp,
      nodeAllocatable: this.deps.nodeAllocatable,
      tokenUid: this.#commonUid(),
    });
    for (;;) {
      try {
        await this.volumes.setup();
        break;
      } catch (err) {
        if (!(err instanceof VolumeError)) throw err;
        for (const c of this.all)
          c.state = {
            waiting: { reason: 'ContainerCreating', message: `MountVolume.SetUp failed: ${err.message}` },
          };
        this.#changed();
        try {
          await sleep(1000, undefined, { signal: this.#abort.signal });
        } catch {
          return;
        }
      }
    }
    const tick = (): void => {
      this.#volumeTimer = setTimeout(() => {
        void this.volumes
          ?.sync()
          .catch(() => undefined)
          .finally(() => {
            if (!this.terminating) tick();
          });
      }, this.deps.volumeSyncMs);
      this.#volumeTimer.unref();
    };
    tick();
  }

  /** The runAsUser all containers share, if they do (owner of 0600 token files). */
  #commonUid(): number | undefined {
    const uids = new Set(
      this.all.map(
        (c) => c.spec.securityContext?.runAsUser ?? this.pod.spec?.securityContext?.runAsUser ?? 65532,
      ),
    );
    return uids.size === 1 ? [...uids][0] : undefined;
  }

  /** Runs a container until it is done for good (per `policy`) or the pod terminates. */
  async #supervise(c: ContainerRunner, policy: RestartPolicy): Promise<void> {
    while (!this.terminating) {
      let started: boolean;
      try {
        started = await this.#startInstance(c);
      } catch (err) {
        // e.g. the apiserver was briefly unreachable while env sources were read
        started = this.#waiting(c, 'RunContainerError', (err as Error).message);
      }
      if (!started) {
        try {
          await sleep(IMAGE_RETRY_MS, undefined, { signal: this.#abort.signal });
        } catch {
          return;
        }
        continue;
      }
      const status = await c.proc!.exited;
      c.stopProbes();
      const { exitCode, signal } = exitOf(status);
      const ranMs = Date.now() - c.startedAtMs;
      const startedAt = 'running' in c.state ? c.state.running.startedAt : nowIso();
      c.state = {
        terminated: {
          exitCode,
          ...(signal !== undefined ? { signal } : {}),
          reason: exitCode === 0 ? 'Completed' : 'Error',
          ...(c.killReason ? { message: c.killReason } : {}),
          startedAt,
          finishedAt: nowIso(),
        },
      };
      c.ready = false;
      c.started = false;
      c.proc = undefined;
      c.killReason = undefined;
      if (this.terminating) break;
      if (!shouldRestart(policy, exitCode)) {
        c.done = true;
        this.#changed();
        break;
      }
      c.crashStreak = ranMs >= this.deps.backoff.resetAfterMs ? 1 : c.crashStreak + 1;
      const delay = backoffDelay(c.crashStreak, this.deps.backoff);
      c.lastTerminated = c.state.terminated;
      c.restartCount++;
      c.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${delay}ms restarting failed container=${c.name} pod=${this.name}`,
        },
      };
      this.#changed();
      try {
        await sleep(delay, undefined, { signal: this.#abort.signal });
      } catch {
        break;
      }
    }
  }

  async #lookup<T>(kind: 'configmaps' | 'secrets', names: Set<string>): Promise<Map<string, T>> {
    const out = new Map<string, T>();
    for (const name of names) {
      const obj = await this.deps.client.getOptional<T>(
        `/api/v1/namespaces/${this.namespace}/${kind}/${name}`,
      );
      if (obj) out.set(name, obj);
    }
    return out;
  }

  /** The Service environment a kubelet gives every container: the `kubernetes` Service's variables. */
  #serviceEnv(): Map<string, string> {
    const host = this.deps.network.hostIp;
    const port = String(this.deps.apiserverPort);
    return new Map([
      ['KUBERNETES_SERVICE_HOST', host],
      ['KUBERNETES_SERVICE_PORT', port],
      ['KUBERNETES_SERVICE_PORT_HTTPS', port],
      ['KUBERNETES_PORT', `tcp://${host}:${port}`],
      [`KUBERNETES_PORT_${port}_TCP`, `tcp://${host}:${port}`],
      [`KUBERNETES_PORT_${port}_TCP_PROTO`, 'tcp'],
      [`KUBERNETES_PORT_${port}_TCP_PORT`, port],
      [`KUBERNETES_PORT_${port}_TCP_ADDR`, host],
    ]);
  }

  async #envOf(spec: V1Container): Promise<{ env: Map<string, string>; errors: string[] }> {
    const cmNames = new Set<string>();
    const secretNames = new Set<string>();
    for (const e of spec.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) cmNames.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) secretNames.add(e.valueFrom.secretKeyRef.name);
    }
    for (const f of spec.envFrom ?? []) {
      if (f.configMapRef?.name) cmNames.add(f.configMapRef.name);
      if (f.secretRef?.name) secretNames.add(f.secretRef.name);
    }
    const cms = await this.#lookup<V1ConfigMap>('configmaps', cmNames);
    const secrets = await this.#lookup<V1Secret>('secrets', secretNames);
    return resolveEnv(
      {
        pod: this.pod,
        container: spec,
        podIp: this.sandbox!.ip,
        hostIp: this.deps.network.hostIp,
        configMap: (n) => cms.get(n),
        secret: (n) => secrets.get(n),
        nodeAllocatable: this.deps.nodeAllocatable,
      },
      this.#serviceEnv(),
    );
  }

  #userOf(
    spec: V1Container,
    image: ResolvedImage,
  ): { uid: number; gid: number; groups: number[]; error?: string } {
    const podSc = this.pod.spec?.securityContext;
    const sc = spec.securityContext;
    const explicitUid = sc?.runAsUser ?? podSc?.runAsUser;
    const uid = explicitUid ?? image.user.uid;
    // Without runAsGroup, the image's group for its own user, else root's group (no passwd entry).
    const gid = sc?.runAsGroup ?? podSc?.runAsGroup ?? (uid === image.user.uid ? image.user.gid : 0);
    const groups = [
      ...(podSc?.fsGroup !== undefined ? [podSc.fsGroup] : []),
      ...(podSc?.supplementalGroups ?? []),
    ];
    const nonRoot = sc?.runAsNonRoot ?? podSc?.runAsNonRoot;
    const error = nonRoot && uid === 0 ? 'container has runAsNonRoot and image will run as root' : undefined;
    return { uid, gid, groups, ...(error ? { error } : {}) };
  }

  #mountsOf(spec: V1Container): BindMount[] {
    return (spec.volumeMounts ?? []).map((m) => {
      const dir = this.volumes?.hostPath(m.name);
      if (dir === undefined) throw new Error(`volume ${m.name} of mount ${m.mountPath} does not exist`);
      let source = dir;
      if (m.subPath) source = realpathSync(join(dir, m.subPath));
      const isFile = !statSync(source).isDirectory();
      return { source, target: m.mountPath, readOnly: m.readOnly === true, isFile };
    });
  }

  /**
   * Image programs the container could not reach get bound under IMAGE_DIR: those the container
   * user may not read, and those under a directory the container gets empty (/tmp: a clone of
   * the repository there, as in CI, would otherwise be invisible to the pods).
   */
  #imageBinds(image: ResolvedImage): { binds: BindMount[]; argv: string[] } {
    const binds: BindMount[] = [];
    const hidden = (p: string): boolean =>
      !worldAccessible(p) || PRIVATE_DIRS.includes(p.split('/')[1] ?? '');
    let program = image.program;
    let args = image.args;
    if (hidden(program)) {
      const target = `${IMAGE_DIR}/${program.split('/').pop()}`;
      binds.push({ source: program, target, readOnly: true, isFile: true });
      program = target;
    }
    const repo = this.deps.imagePaths.repoRoot;
    if (args.some((a) => a.startsWith(repo + '/')) && hidden(join(repo, 'package.json'))) {
      binds.push({ source: repo, target: `${IMAGE_DIR}/repo`, readOnly: true, isFile: false });
      args = args.map((a) =>
        a.startsWith(repo + '/') ? `${IMAGE_DIR}/repo/${a.slice(repo.length + 1)}` : a,
      );
    }
    return { binds, argv: [program, ...args] };
  }

  #waiting(c: ContainerRunner, reason: string, message: string): false {
    c.state = { waiting: { reason, message } };
    this.#changed();
    return false;
  }

  /** Starts one instance of a container; false (with a waiting reason set) when it cannot start yet. */
  async #startInstance(c: ContainerRunner): Promise<boolean> {
    const spec = c.spec;
    const { env, errors } = await this.#envOf(spec);
    if (errors.length > 0) return this.#waiting(c, 'CreateContainerConfigError', errors.join('; '));
    const { command, args } = expandCommand(spec, env);
    const image = resolveImage(spec.image ?? '', command, args, this.deps.imagePaths);
    if (!image.ok) return this.#waiting(c, image.reason, image.message);
    const user = this.#userOf(spec, image);
    if (user.error) return this.#waiting(c, 'CreateContainerConfigError', user.error);
    const procEnv: Record<string, string> = {
      ...image.env,
      HOSTNAME: this.hostname,
      ...Object.fromEntries(env),
    };
    const fromImage = image.kind === 'dapr-ts' && this.deps.daprTsImage !== undefined;
    const launch = fromImage
      ? await this.#imageLaunch(c, [...command, ...args], procEnv, user)
      : this.#scriptLaunch(c, image, user);
    if (launch === false) return false;
    const logDir = join(this.dir, 'logs', c.name);
    mkdirSync(logDir, { recursive: true });
    c.logFile = join(logDir, `${c.restartCount}.log`);
    const sb = this.sandbox!;
    if (this.terminating) return false;
    c.proc = await ManagedProcess.start({
      name: `${this.namespace}/${this.name}/${c.name}`,
      command: launch.command,
      args: launch.args,
      env: launch.env ?? procEnv,
      inheritEnv: false,
      logFile: c.logFile,
    });
    c.pid = c.proc.pid;
    // terminate() may have run while the process was being spawned: it must not outlive the pod.
    if (this.terminating) void c.proc.stop(0);
    c.imageId = launch.imageId;
    c.startedAtMs = Date.now();
    c.state = { running: { startedAt: nowIso() } };
    this.#startProbes(c, {
      podIp: sb.ip,
      ports: spec.ports ?? [],
      pid: c.pid,
      env: procEnv,
      execPrefix: execPrefixOf(user),
    });
    this.#changed();
    return true;
  }

  /** The directory of one instance of a container: its launch script or runc bundle. */
  #scratchOf(c: ContainerRunner): string {
    return join(this.dir, 'containers', `${c.name}-${c.restartCount}`);
  }

  /**
   * The host-userland launch: a shell script that builds the container's root from the host's
   * and the image program's binds (launcher.ts), run in a private mount and UTS namespace.
   */
  #scriptLaunch(c: ContainerRunner, image: ResolvedImage, user: ContainerUser): Launch | false {
    const spec = c.spec;
    const scratch = this.#scratchOf(c);
    let script: string;
    try {
      const imageParts = this.#imageBinds(image);
      const plan = planMounts(
        [...imageParts.binds, ...this.#mountsOf(spec)],
        [spec.workingDir ?? '/'],
        realFs,
      );
      script = renderLaunchScript({
        hostname: this.hostname,
        plan,
        rootEntries: (rootEntries ??= hostRootEntries()),
        scratchDir: scratch,
        workingDir: spec.workingDir ?? '/',
        uid: user.uid,
        gid: user.gid,
        groups: user.groups,
        noNewPrivs: spec.securityContext?.allowPrivilegeEscalation === false,
        argv: imageParts.argv,
      });
    } catch (err) {
      return this.#waiting(c, 'CreateContainerError', (err as Error).message);
    }
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    const scriptPath = join(scratch, 'launch.sh');
    writeFileSync(scriptPath, script, { mode: 0o600 });
    return {
      command: this.deps.ipPath,
      args: [
        'netns',
        'exec',
        this.sandbox!.netns,
        'unshare',
        '--uts',
        '--mount',
        '--propagation',
        'private',
      ].concat(['/bin/sh', scriptPath]),
      imageId: `dapr-ts-image://${image.program}`,
    };
  }

  /**
   * A dapr-ts container from the image users install (npm run image): runc, started in the
   * pod's network namespace, runs the container's command on the image's root filesystem
   * (read-only when the securityContext says so) with its volumes, the pod's hosts file and
   * resolv.conf, its environment and user (docs/node-agent.md).
   */
  async #imageLaunch(
    c: ContainerRunner,
    argv: string[],
    env: Record<string, string>,
    user: ContainerUser,
  ): Promise<Launch | false> {
    const scratch = this.#scratchOf(c);
    let root: UnpackedImage;
    let config: RuntimeConfig;
    const sb = this.sandbox!;
    try {
      root = await this.deps.daprTsImage!();
    } catch (err) {
      return this.#waiting(c, 'ImageUnavailable', (err as Error).message);
    }
    try {
      config = runtimeConfig(root, {
        args: argv,
        env,
        uid: user.uid,
        gid: user.gid,
        groups: user.groups,
        ...(c.spec.workingDir !== undefined ? { cwd: c.spec.workingDir } : {}),
        hostname: this.hostname,
        readOnlyRoot: c.spec.securityContext?.readOnlyRootFilesystem === true,
        netns: `/var/run/netns/${sb.netns}`,
        binds: [
          ...this.#mountsOf(c.spec),
          { source: join(sb.etcDir, 'hosts'), target: '/etc/hosts', readOnly: true },
          { source: join(sb.etcDir, 'resolv.conf'), target: '/etc/resolv.conf', readOnly: true },
        ],
      });
    } catch (err) {
      return this.#waiting(c, 'CreateContainerError', (err as Error).message);
    }
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    writeFileSync(join(scratch, 'config.json'), JSON.stringify(config));
    return {
      // runc joins the pod's namespace itself: `ip netns exec` would hide the host's cgroup
      // mounts (it remounts /sys), which runc needs.
      command: cachedBinary('runc'),
      args: ['--root', join(scratch, 'runc'), 'run', '--bundle', scratch, c.name],
      env: {},
      imageId: `dapr-ts-image://${imageArchive()}`,
    };
  }

  #startProbes(c: ContainerRunner, target: ProbeTarget): void {
    const spec = c.spec;
    const make = (kind: ProbeKind, probe: V1Probe): Prober =>
      new Prober(kind, probe, target, (state) =>
        this.#onProbe(c, kind, state.result === 'success', state.lastMessage ?? ''),
      );
    const startup = spec.startupProbe ? make('startup', spec.startupProbe) : undefined;
    const liveness = spec.livenessProbe ? make('liveness', spec.livenessProbe) : undefined;
    const readiness = spec.readinessProbe ? make('readiness', spec.readinessProbe) : undefined;
    c.probes = [startup, liveness, readiness].filter((p): p is Prober => p !== undefined);
    if (startup) startup.start();
    else this.#afterStartup(c);
  }

  /** Startup done (or no startup probe): the container counts as started, the other probes begin. */
  #afterStartup(c: ContainerRunner): void {
    c.markStarted();
    const readiness = c.probes.find((p) => p.kind === 'readiness');
    if (!readiness) this.#setReady(c, true);
    for (const p of c.probes) if (p.kind !== 'startup') p.start();
    this.#changed();
  }

  #setReady(c: ContainerRunner, ready: boolean): void {
    c.ready = ready && !this.terminating;
    if (c.ready && this.readyAtMs === undefined && this.containers.every((x) => x.ready))
      this.readyAtMs = Date.now();
  }

  #onProbe(c: ContainerRunner, kind: ProbeKind, ok: boolean, message: string): void {
    if (this.terminating || !c.proc) return;
    if (kind === 'readiness') {
      this.#setReady(c, ok);
      this.#changed();
      return;
    }
    if (kind === 'startup' && ok) {
      c.probes.find((p) => p.kind === 'startup')?.stop();
      this.#afterStartup(c);
      return;
    }
    if (!ok) {
      // Liveness or startup failure: the container is killed and restarted per restartPolicy.
      c.killReason = `Container ${c.name} failed ${kind} probe, will be restarted: ${message}`;
      this.deps.log(`${this.namespace}/${this.name}: ${c.killReason}`);
      c.stopProbes();
      const grace =
        (c.spec.livenessProbe?.terminationGracePeriodSeconds ??
          this.pod.spec?.terminationGracePeriodSeconds ??
          30) * 1000;
      void c.proc.stop(grace);
    }
  }

  /**
   * Stops the pod: SIGTERM to every container (main containers first, then sidecars in reverse
   * order), SIGKILL after the grace period, then the sandbox and volumes are removed.
   */
  terminate(graceSeconds: number): Promise<void> {
    this.#terminated ??= this.#terminate(graceSeconds);
    return this.#terminated;
  }

  async #terminate(graceSeconds: number): Promise<void> {
    this.terminating = true;
    this.#abort.abort();
    for (const c of this.all) {
      c.stopProbes();
      c.ready = false;
    }
    this.#changed();
    const deadline = Date.now() + graceSeconds * 1000;
    const stopAll = (cs: ContainerRunner[]): Promise<unknown> =>
      Promise.all(cs.map((c) => c.proc?.stop(Math.max(0, deadline - Date.now())) ?? Promise.resolve()));
    await stopAll([...this.containers, ...this.inits.filter((c) => c.kind === 'init')]);
    for (const s of this.inits.filter((c) => c.kind === 'sidecar').reverse()) await stopAll([s]);
    await this.#main?.catch(() => undefined);
    await Promise.all(this.#supervisors);
    await this.#teardown();
  }

  async #teardown(): Promise<void> {
    if (this.finished) return;
    if (this.#volumeTimer) clearTimeout(this.#volumeTimer);
    if (this.sandbox) await this.deps.network.destroySandbox(this.sandbox);
    // Volumes, overlay layers and scripts go; logs stay until the agent stops (for logs()).
    rmSync(join(this.dir, 'volumes'), { recursive: true, force: true });
    rmSync(join(this.dir, 'containers'), { recursive: true, force: true });
    this.finished = true;
    this.#changed();
  }
}

/** The argv that drops an exec probe to the container's user, as the container itself runs. */
function execPrefixOf(user: { uid: number; gid: number; groups: number[] }): string[] {
  if (user.uid === 0) return [];
  const groups = user.groups.length > 0 ? `--groups=${user.groups.join(',')}` : '--clear-groups';
  return ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, groups, '--inh-caps=-all', '--'];
}
