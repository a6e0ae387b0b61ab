// The node agent: a kubelet (and kube-proxy) for processes. It registers a Node, watches the
// Pods bound to it and runs each with a PodRuntime, writes their status back, keeps every pod's
// hosts file and Service rules (ClusterIP → endpoint DNAT, service-proxy.ts) in step with
// Services and EndpointSlices, and on stop() ends every process and removes every namespace,
// link, mount and file it made.
import type { V1EndpointSlice, V1Pod, V1Service } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { daprBinDir, pinnedVersions, repoRoot } from '../deps/paths.js';
import { DEFAULT_SERVICE_CIDR } from '../cluster/cluster.js';
import { UnpackedImage } from '../harness/oci-runtime.js';
import { runId } from '../../kit/testing/managed-process.js';
import { waitFor } from '../../kit/testing/wait.js';
import type { BackoffPolicy } from './container.js';
import type { ImagePaths } from './images.js';
import { Informer } from './informer.js';
import { KubeClient, KubeError, type KubeCredentials } from './kube-client.js';
import { rewriteInPlace, type PodNetwork } from './network.js';
import { NodeRegistration, type NodeResources } from './node.js';
import { PodRuntime } from './pod-runtime.js';
import type { EndpointLiveness } from './endpoint-slices.js';
import { POD_RANGE_PREFIX } from './names.js';
import { ProxyLoader, findConntrack, findNft, type ProxyState } from './proxy-loader.js';
import { renderHostsFile } from './service-hosts.js';
import { flowKeys, proxyPlan, proxyTableName, renderProxyRules } from './service-proxy.js';
import { buildPodStatus } from './status.js';

export interface NodeAgentOptions {
  readonly credentials: KubeCredentials;
  /** The apiserver's port (KUBERNETES_SERVICE_PORT); pods reach it at the network's host IP. */
  readonly apiserverPort: number;
  readonly network: PodNetwork;
  /** The apiserver's --service-cluster-ip-range: ClusterIPs pods reach through the agent's rules. */
  readonly serviceCidr?: string;
  readonly nodeName?: string;
  readonly capacity?: Partial<NodeResources>;
  readonly backoff?: Partial<BackoffPolicy>;
  /** How often ConfigMap/Secret/token volumes are refreshed. */
  readonly volumeSyncMs?: number;
  /** Upper bound on each pod's grace period when the agent stops. */
  readonly stopGraceSeconds?: number;
  readonly imagePaths?: Partial<ImagePaths>;
  /**
   * Run dapr-ts containers from the image users install (the OCI archive of `npm run image`,
   * under runc) rather than from this checkout's dist/ (default: true).
   */
  readonly daprTsFromImage?: boolean;
  readonly log?: (msg: string) => void;
}

export interface PodInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly netns?: string;
  readonly ip?: string;
  /** Main PID per running container: the container's own process, not runc's, for our image. */
  readonly pids: Readonly<Record<string, number>>;
  readonly finished: boolean;
}

export interface PodTiming {
  readonly pod: string;
  /** Network namespace + veth + address setup. */
  readonly sandboxMs?: number;
  /** From the agent seeing the pod to all containers ready. */
  readonly readyMs?: number;
}

const DEFAULT_CAPACITY: NodeResources = {
  cpu: '16',
  memory: '32Gi',
  pods: '110',
  'ephemeral-storage': '100Gi',
};

function findIp(): string {
  for (const p of ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip']) if (existsSync(p)) return p;
  throw new Error('the node agent needs iproute2 (`ip`); install it with apt-get install iproute2');
}

export class NodeAgent {
  readonly nodeName: string;
  readonly dir: string;
  readonly client: KubeClient;
  readonly node: NodeRegistration;
  readonly pods: Informer<V1Pod>;
  readonly services: Informer<V1Service>;
  readonly slices: Informer<V1EndpointSlice>;
  readonly #runtimes = new Map<string, PodRuntime>();
  /** Runtimes by namespace/name, including pods already gone (for logs()). */
  readonly #byName = new Map<string, PodRuntime>();
  readonly #deleting = new Set<string>();
  readonly #statusChains = new Map<string, Promise<void>>();
  readonly #statusPending = new Set<string>();
  readonly #lastStatus = new Map<string, string>();
  readonly #proxy: ProxyLoader;
  #netTimer: NodeJS.Timeout | undefined;
  #netSyncing = false;
  #netDirty = false;
  #stopping = false;
  readonly #ipPath = findIp();
  readonly #log: (msg: string) => void;
  readonly #imagePaths: ImagePaths;
  /** The dapr-ts image, unpacked on the first container that needs it. */
  #daprTsImage: Promise<UnpackedImage> | undefined;

  constructor(readonly opts: NodeAgentOptions) {
    this.nodeName = opts.nodeName ?? `dapr-ts-node-${opts.network.index}`;
    this.dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-node-${this.nodeName}-`));
    this.client = new KubeClient(opts.credentials);
    this.#proxy = new ProxyLoader(
      { nft: findNft(), conntrack: findConntrack() },
      opts.serviceCidr ?? DEFAULT_SERVICE_CIDR,
    );
    this.#log = opts.log ?? ((msg) => void process.stderr.write(`[node-agent ${this.nodeName}] ${msg}\n`));
    const capacity = { ...DEFAULT_CAPACITY, ...opts.capacity };
    this.node = new NodeRegistration(this.client, {
      name: this.nodeName,
      internalIp: opts.network.hostIp,
      podCidr: opts.network.cidr,
      capacity,
      log: this.#log,
    });
    const onError = (err: unknown): void => {
      if (!this.#stopping) this.#log(`watch: ${(err as Error).message}`);
    };
    this.pods = new Informer<V1Pod>(this.client, {
      path: '/api/v1/pods',
      fieldSelector: `spec.nodeName=${this.nodeName}`,
      onError,
    });
    this.services = new Informer<V1Service>(this.client, { path: '/api/v1/services', onError });
    this.slices = new Informer<V1EndpointSlice>(this.client, {
      path: '/apis/discovery.k8s.io/v1/endpointslices',
      onError,
    });
    this.#imagePaths = {
      daprDir: daprBinDir(),
      daprVersion: pinnedVersions().DAPR_VERSION ?? 'v1.18.3',
      repoRoot,
      nodePath: process.execPath,
      exists: (p) => existsSync(p),
      ...opts.imagePaths,
    };
  }

  /** Registers the Node, starts the watches and waits until the node is schedulable. */
  async start(): Promise<void> {
    await this.node.register();
    this.services.on(() => this.#scheduleNetSync());
    this.slices.on(() => this.#scheduleNetSync());
    this.pods.on((type, pod) => this.#onPod(type, pod));
    await Promise.all([this.services.start(), this.slices.start()]);
    await this.pods.start();
    await waitFor(
      async () => {
        const n = await this.client.get<{
          spec?: { taints?: Array<{ key: string; effect: string }> };
          status?: { conditions?: Array<{ type: string; status: string }> };
        }>(`/api/v1/nodes/${this.nodeName}`);
        const ready = n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        const blocked = (n.spec?.taints ?? []).some(
          (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
        );
        return ready && !blocked;
      },
      { what: `node ${this.nodeName} to be Ready and untainted`, timeoutMs: 30_000 },
    );
  }

  // ---- pods ---------------------------------------------------------------------------------

  #onPod(type: 'ADDED' | 'MODIFIED' | 'DELETED', pod: V1Pod): void {
    if (this.#stopping) return;
    const uid = pod.metadata?.uid ?? '';
    const rt = this.#runtimes.get(uid);
    if (type === 'DELETED') {
      if (rt) void this.#forget(rt);
      return;
    }
    if (rt) {
      rt.pod = pod;
      if (rt.volumes) rt.volumes.pod = pod;
    }
    if (pod.metadata?.deletionTimestamp) {
      if (!this.#deleting.has(uid)) {
        this.#deleting.add(uid);
        void this.#deletePod(pod, rt).catch((err: unknown) =>
          this.#log(`deleting ${pod.metadata?.name}: ${(err as Error).message}`),
        );
      }
      return;
    }
    if (rt || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const created = new PodRuntime(pod, {
      client: this.client,
      network: this.opts.network,
      apiserverPort: this.opts.apiserverPort,
      imagePaths: this.#imagePaths,
      podsDir: join(this.dir, 'pods'),
      nodeAllocatable: { cpu: DEFAULT_CAPACITY.cpu, memory: DEFAULT_CAPACITY.memory, ...this.opts.capacity },
      backoff: { initialMs: 1000, maxMs: 10_000, resetAfterMs: 60_000, ...this.opts.backoff },
      volumeSyncMs: this.opts.volumeSyncMs ?? 2000,
      ipPath: this.#ipPath,
      hostsFor: (p, ip) => this.#hostsFor(p, ip),
      prepareSandbox: (sb) => this.#proxy.prepare(sb.netns, () => this.#proxyState()),
      ...(this.opts.daprTsFromImage === false ? {} : { daprTsImage: () => this.#unpackedImage() }),
      onChange: (r) => this.#onRuntimeChange(r),
      log: this.#log,
    });
    this.#runtimes.set(uid, created);
    this.#byName.set(`${created.namespace}/${created.name}`, created);
    created.start();
    this.#scheduleStatus(created);
  }

  /** Graceful stop, final status, then the pod object is removed (grace 0), as a kubelet does. */
  async #deletePod(pod: V1Pod, rt: PodRuntime | undefined): Promise<void> {
    const grace = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    if (rt) {
      await rt.terminate(grace);
      await this.#flushStatus(rt);
    }
    const ns = pod.metadata?.namespace ?? 'default';
    try {
      await this.client.request('DELETE', `/api/v1/namespaces/${ns}/pods/${pod.metadata?.name}`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      });
    } catch (err) {
      if (!(err instanceof KubeError && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  async #forget(rt: PodRuntime): Promise<void> {
    await rt.terminate(0);
    this.#runtimes.delete(rt.uid);
    this.#deleting.delete(rt.uid);
    this.#lastStatus.delete(rt.uid);
  }

  #onRuntimeChange(rt: PodRuntime): void {
    // A pod torn down changes which endpoints are live (#live) before any EndpointSlice does.
    if (rt.finished && rt.sandbox) this.#proxy.forget(rt.sandbox.netns);
    if (rt.sandbox) this.#scheduleNetSync();
    this.#scheduleStatus(rt);
  }

  // ---- status -------------------------------------------------------------------------------

  #scheduleStatus(rt: PodRuntime): void {
    if (this.#stopping || this.#statusPending.has(rt.uid)) return;
    this.#statusPending.add(rt.uid);
    const t = setTimeout(() => {
      this.#statusPending.delete(rt.uid);
      void this.#chainStatus(rt);
    }, 25);
    t.unref();
  }

  #chainStatus(rt: PodRuntime): Promise<void> {
    const next = (this.#statusChains.get(rt.uid) ?? Promise.resolve()).then(() => this.#writeStatus(rt));
    this.#statusChains.set(rt.uid, next);
    return next;
  }

  #flushStatus(rt: PodRuntime): Promise<void> {
    return this.#chainStatus(rt);
  }

  async #writeStatus(rt: PodRuntime): Promise<void> {
    if (this.#stopping || !this.#runtimes.has(rt.uid)) return;
    const current = this.pods.get(rt.namespace, rt.name);
    if (current && current.metadata?.uid !== rt.uid) return;
    const status = buildPodStatus(
      rt.snapshot(),
      current?.status,
      new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    );
    const json = JSON.stringify(status);
    if (json === this.#lastStatus.get(rt.uid)) return;
    try {
      await this.client.mergePatch(`/api/v1/namespaces/${rt.namespace}/pods/${rt.name}/status`, { status });
      this.#lastStatus.set(rt.uid, json);
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return;
      if (!this.#stopping) {
        this.#log(`status of ${rt.namespace}/${rt.name}: ${(err as Error).message}`);
        setTimeout(() => this.#scheduleStatus(rt), 500).unref();
      }
    }
  }

  // ---- names and Service rules ----------------------------------------------------------------

  /**
   * The agent's own knowledge of its pod network: an address in it is a live endpoint only while
   * the pod the slice names (by UID) holds it. Slices trail a deletion by the controller's round
   * trip; this drops a dead pod's address at once and never lets a slice's stale entry (e.g. a
   * StatefulSet pod's hostname) point at an address another pod holds now.
   */
  #live(opts: { acceptingOnly?: boolean } = {}): EndpointLiveness {
    const owners = this.#podAddresses(opts);
    const ours = `${POD_RANGE_PREFIX}.${this.opts.network.index}.`;
    return (ip, podUid) => {
      if (!ip.startsWith(ours)) return true;
      const owner = owners.get(ip);
      return owner !== undefined && (podUid === undefined || podUid === owner);
    };
  }

  /** The address of every pod that runs (with `acceptingOnly`, not shutting down), to its UID. */
  #podAddresses(opts: { acceptingOnly?: boolean } = {}): Map<string, string> {
    const owners = new Map<string, string>();
    for (const rt of this.#runtimes.values())
      if (rt.sandbox && !rt.finished && !(opts.acceptingOnly && rt.terminating))
        owners.set(rt.sandbox.ip, rt.uid);
    return owners;
  }

  #proxyState(): ProxyState {
    // A pod shutting down gets no new connection, even before its slice entry turns not-ready.
    const plan = proxyPlan(
      this.services.list(),
      this.slices.list(),
      this.#live(),
      this.#live({ acceptingOnly: true }),
    );
    const occupied = [...this.#podAddresses().keys()];
    const { cidr, hostIp } = this.opts.network;
    return {
      rules: renderProxyRules(plan, {
        table: proxyTableName(runId),
        serviceCidr: this.#proxy.serviceCidr,
        podNetwork: { cidr, hostIp, occupied },
      }),
      flows: flowKeys(plan),
    };
  }

  #hostsFor(pod: V1Pod, ip: string): string {
    return renderHostsFile({
      pod: {
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? 'default',
        ip,
        hostname: (pod.spec?.hostname ?? pod.metadata?.name ?? '').slice(0, 63),
        subdomain: pod.spec?.subdomain,
      },
      apiserverIp: this.opts.network.hostIp,
      services: this.services.list(),
      slices: this.slices.list(),
      live: this.#live(),
    });
  }

  #scheduleNetSync(): void {
    if (this.#stopping) return;
    if (this.#netSyncing) {
      this.#netDirty = true; // run once more when the current pass ends
      return;
    }
    if (this.#netTimer) return;
    this.#netTimer = setTimeout(() => {
      this.#netTimer = undefined;
      this.#netSyncing = true;
      void this.#syncNet()
        .catch((err: unknown) => this.#log(`hosts/rules sync: ${(err as Error).message}`))
        .finally(() => {
          this.#netSyncing = false;
          if (this.#netDirty) {
            this.#netDirty = false;
            this.#scheduleNetSync();
          }
        });
    }, 20);
    this.#netTimer.unref();
  }

  async #syncNet(): Promise<void> {
    const loads: Promise<void>[] = [];
    for (const rt of this.#runtimes.values()) {
      const sb = rt.sandbox;
      if (!sb || rt.finished) continue;
      try {
        rewriteInPlace(join(sb.etcDir, 'hosts'), this.#hostsFor(rt.pod, sb.ip));
      } catch {
        continue; // torn down meanwhile
      }
      loads.push(
        this.#proxy
          .load(sb.netns, () => this.#proxyState())
          .catch((err: unknown) => {
            if (!rt.finished) throw err;
          }),
      );
    }
    await Promise.all(loads);
  }

  // ---- harness API ----------------------------------------------------------------------------

  /** The `kubectl logs` equivalent: the output of a container (its previous instance with previous). */
  logs(namespace: string, pod: string, container?: string, opts: { previous?: boolean } = {}): string {
    const rt = this.#byName.get(`${namespace}/${pod}`);
    if (!rt) throw new Error(`pod ${namespace}/${pod} has not run on node ${this.nodeName}`);
    const name = container ?? rt.containers[0]?.name ?? '';
    const file = rt.logFileOf(name, opts.previous);
    if (file === undefined)
      throw new Error(
        `container ${name} of ${namespace}/${pod} has ${opts.previous ? 'no previous instance' : 'not started'}`,
      );
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }

  /** What the agent knows about a pod it runs (or ran). */
  podInfo(namespace: string, name: string): PodInfo | undefined {
    const rt = this.#byName.get(`${namespace}/${name}`);
    if (!rt) return undefined;
    const pids: Record<string, number> = {};
    for (const c of rt.all) if (c.proc?.running) pids[c.name] = containerProcess(c.proc.pid);
    return {
      namespace,
      name,
      uid: rt.uid,
      netns: rt.sandbox?.netns,
      ip: rt.sandbox?.ip,
      pids,
      finished: rt.finished,
    };
  }

  /** Sandbox setup and time-to-ready of every pod the agent has run. */
  timings(): PodTiming[] {
    return [...this.#byName.values()].map((rt) => ({
      pod: `${rt.namespace}/${rt.name}`,
      sandboxMs: rt.sandbox?.setupMs,
      readyMs: rt.readyAtMs === undefined ? undefined : rt.readyAtMs - rt.createdAtMs,
    }));
  }

  #unpackedImage(): Promise<UnpackedImage> {
    this.#daprTsImage ??= UnpackedImage.unpack();
    // A failed unpack (no archive yet) is tried again on the next start.
    this.#daprTsImage.catch(() => (this.#daprTsImage = undefined));
    return this.#daprTsImage;
  }

  /** Stops every pod (SIGTERM, then SIGKILL after at most stopGraceSeconds), the watches and timers. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.node.stop();
    if (this.#netTimer) clearTimeout(this.#netTimer);
    await Promise.all([this.pods.stop(), this.services.stop(), this.slices.stop()]);
    const grace = this.opts.stopGraceSeconds ?? 5;
    await Promise.all(
      [...this.#runtimes.values()].map((rt) =>
        rt
          .terminate(Math.min(grace, rt.pod.spec?.terminationGracePeriodSeconds ?? 30))
          .catch((err: unknown) => this.#log(`stop: ${String(err)}`)),
      ),
    );
    this.client.close();
    rmSync(this.dir, { recursive: true, force: true });
    (await this.#daprTsImage?.catch(() => undefined))?.dispose();
  }
}

/**
 * The process a container runs: for a container from our image the agent starts `runc run`,
 * whose child is the container's init (the service); any other launch is the process itself.
 */
function containerProcess(pid: number): number {
  try {
    if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'runc') return pid;
    // runc is a Go program: the thread that forked the child need not be the main one.
    const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean),
    );
    const child = Number(children[0]);
    return Number.isInteger(child) && child > 0 ? child : pid;
  } catch {
    return pid; // gone meanwhile
  }
}
