// The Node object of an agent, kept alive the way a kubelet keeps it: a Lease in
// kube-node-lease renewed every 10 s (the node lifecycle controller in kube-controller-manager
// marks a node NotReady and taints it when neither the lease nor the Ready condition has been
// renewed within its grace period, 50 s by default), and the node status (Ready, capacity,
// addresses) re-posted every minute.
import { KubeError, type KubeClient } from './kube-client.js';

export interface NodeResources {
  readonly cpu: string;
  readonly memory: string;
  readonly pods: string;
  readonly 'ephemeral-storage': string;
}

export interface NodeOptions {
  readonly name: string;
  readonly internalIp: string;
  readonly podCidr: string;
  readonly capacity: NodeResources;
  readonly labels?: Readonly<Record<string, string>>;
  readonly leaseDurationSeconds?: number;
  readonly renewIntervalMs?: number;
  readonly statusIntervalMs?: number;
  readonly log?: (msg: string) => void;
}

export const KUBELET_VERSION = 'v1.34.4-dapr-ts';

/** The Node as a kubelet registers it (pure). */
export function nodeObject(o: NodeOptions): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: o.name,
      labels: {
        'kubernetes.io/hostname': o.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': process.arch === 'x64' ? 'amd64' : process.arch,
        'node.dapr-ts.io/agent': 'true',
        ...o.labels,
      },
    },
    spec: { podCIDR: o.podCidr, podCIDRs: [o.podCidr] },
  };
}

const micro = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The node's status: Ready and no pressure, its capacity, address and versions (pure). */
export function nodeStatus(o: NodeOptions, now: Date, readySince: string): Record<string, unknown> {
  const t = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const cond = (
    type: string,
    status: string,
    reason: string,
    message: string,
    since = readySince,
  ): Record<string, string> => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: t,
    lastTransitionTime: since,
  });
  return {
    capacity: o.capacity,
    allocatable: o.capacity,
    conditions: [
      cond(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'dapr-ts node agent is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: o.internalIp },
      { type: 'Hostname', address: o.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: 'dapr-ts node agent (processes in network namespaces)',
      containerRuntimeVersion: 'dapr-ts://0.1.0',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    },
  };
}

export class NodeRegistration {
  #leaseTimer: NodeJS.Timeout | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  #readySince = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  #stopped = false;

  constructor(
    readonly client: KubeClient,
    readonly opts: NodeOptions,
  ) {}

  get name(): string {
    return this.opts.name;
  }

  async register(): Promise<void> {
    try {
      // With its status in the create (a kubelet does the same), the node is Ready from the start
      // and the lifecycle controller has no reason to taint it not-ready.
      await this.client.request('POST', '/api/v1/nodes', {
        ...nodeObject(this.opts),
        status: nodeStatus(this.opts, new Date(), this.#readySince),
      });
    } catch (err) {
      if (!(err instanceof KubeError && err.code === 409)) throw err;
    }
    await this.postStatus();
    await this.renewLease();
    this.#leaseTimer = setInterval(
      () => void this.renewLease().catch((e: unknown) => this.#warn('lease', e)),
      this.opts.renewIntervalMs ?? 10_000,
    );
    this.#statusTimer = setInterval(
      () => void this.postStatus().catch((e: unknown) => this.#warn('status', e)),
      this.opts.statusIntervalMs ?? 60_000,
    );
    this.#leaseTimer.unref();
    this.#statusTimer.unref();
  }

  #warn(what: string, err: unknown): void {
    if (!this.#stopped)
      this.opts.log?.(`node ${this.name}: ${what} update failed: ${(err as Error).message}`);
  }

  async postStatus(): Promise<void> {
    await this.client.mergePatch(`/api/v1/nodes/${this.name}/status`, {
      status: nodeStatus(this.opts, new Date(), this.#readySince),
    });
  }

  async renewLease(): Promise<void> {
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${this.name}`;
    const spec = {
      holderIdentity: this.name,
      leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 40,
      renewTime: micro(new Date()),
    };
    const existing = await this.client.getOptional<{ metadata: Record<string, unknown> }>(path);
    if (existing) {
      await this.client.request('PUT', path, { ...existing, spec });
      return;
    }
    const node = await this.client.get<{ metadata: { uid: string } }>(`/api/v1/nodes/${this.name}`);
    await this.client.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.name,
        namespace: 'kube-node-lease',
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: node.metadata.uid }],
      },
      spec,
    });
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#leaseTimer);
    clearInterval(this.#statusTimer);
  }
}
