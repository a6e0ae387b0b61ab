// Which replica serves ReportDaprStatus (docs/contracts/placement.md §5). Upstream elects with raft but replicates
// nothing, so to daprd "HA" only means: exactly one replica accepts streams and the others refuse
// fast. A single replica (one --initial-cluster peer, the default) is the leader from the start,
// as upstream's one-node raft is within milliseconds. Several peers in Kubernetes mode elect
// through a coordination.k8s.io Lease; the leader fences (refuses new streams, ends every open one,
// drops its tables) when its term ends, which the elector guarantees is before the lease can pass.
// Unlike upstream, which exits on losing leadership, a fenced replica stays up as a follower: it
// holds no state, so a restart would add nothing but delay.
import { randomBytes } from 'node:crypto';
import type { HealthTarget } from '../kit/health-targets.js';
import { KubeClient, type KubeApi } from '../kit/kubernetes/client.js';
import { loadKubeConnection } from '../kit/kubernetes/config.js';
import { LeaderElector } from '../kit/kubernetes/lease.js';
import type { Logger } from '../kit/logger.js';
import { orAborted, untilAborted } from '../kit/runner.js';
import type { PlacementMetrics } from './metrics.js';
import type { LeaderElectionTimings } from './options.js';

export interface Leadership {
  /** Whether this replica may serve streams and /placement/state now. */
  isLeader(): boolean;
  /** Runs until `signal` aborts; a lease leader fences and releases the lease before it resolves. */
  run(signal: AbortSignal): Promise<void>;
}

export type LeadershipMode =
  | { readonly kind: 'single' }
  | { readonly kind: 'lease' }
  | { readonly kind: 'invalid'; readonly message: string };

/** Several peers elect through a Lease, which needs the Kubernetes API. */
export function leadershipMode(options: {
  readonly mode: string;
  readonly peerCount: number;
}): LeadershipMode {
  if (options.peerCount <= 1) return { kind: 'single' };
  if (options.mode === 'kubernetes') return { kind: 'lease' };
  return {
    kind: 'invalid',
    message:
      `--initial-cluster lists ${options.peerCount} peers, but this placement elects its leader ` +
      'through a Kubernetes Lease, which needs --mode kubernetes; run a single replica in standalone mode',
  };
}

/** The one replica: the leader from startup to shutdown. */
export function singleReplica(deps: { metrics: PlacementMetrics; health: HealthTarget }): Leadership {
  return {
    isLeader: () => true,
    run: async (signal) => {
      deps.health.ready();
      deps.metrics.leaderStatus(true);
      await untilAborted(signal);
    },
  };
}

/**
 * A holder identity unique to this process: --id is the pod name, and two processes that share it
 * (a misconfiguration, or an old pod still stopping) must never both believe they hold the lease.
 */
export function leaseIdentity(id: string): string {
  return `${id}_${randomBytes(4).toString('hex')}`;
}

export interface LeaseLeadershipOptions {
  /** The KubeApi to use; undefined: connect from the pod's service account or the kubeconfig. */
  readonly api?: KubeApi;
  readonly kubeconfig: string;
  readonly env: NodeJS.ProcessEnv;
  /** $NAMESPACE: the Lease lives beside the placement pods. */
  readonly namespace: string;
  readonly leaseName: string;
  readonly identity: string;
  readonly timings: LeaderElectionTimings;
  readonly log: Logger;
  readonly metrics: PlacementMetrics;
  readonly health: HealthTarget;
  /** Ends every stream and drops every table; called synchronously when the term ends. */
  readonly fence: () => void;
  /**
   * Resolves once the gRPC server listens: a replica that cannot serve yet (still waiting for its
   * SVID) must not take the lease and leave every daprd without a leader.
   */
  readonly serving: Promise<void>;
}

export class LeaseLeadership implements Leadership {
  readonly #o: LeaseLeadershipOptions;
  #elector: LeaderElector | undefined;

  constructor(options: LeaseLeadershipOptions) {
    this.#o = options;
  }

  isLeader(): boolean {
    return this.#elector?.isLeader ?? false;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.#o;
    await orAborted(this.#o.serving, signal);
    if (signal.aborted) return;
    const client =
      this.#o.api === undefined
        ? new KubeClient(await loadKubeConnection({ kubeconfig: this.#o.kubeconfig, env: this.#o.env }), {
            userAgent: 'dapr-placement',
          })
        : undefined;
    const api = this.#o.api ?? client!;
    try {
      const elector = new LeaderElector({
        api,
        namespace: this.#o.namespace,
        name: this.#o.leaseName,
        identity: this.#o.identity,
        ...this.#o.timings,
        logger: log,
        onStartedLeading: (term) => this.#lead(term),
        onStoppedLeading: () => undefined,
        onNewLeader: (leader) => {
          if (leader !== this.#o.identity) log.info({ leader }, `Placement leader is ${leader}`);
        },
      });
      this.#elector = elector;
      elector.start();
      // Followers are healthy too (upstream: raft started, not leadership won), so that the
      // headless Service and readiness probes list every replica.
      this.#o.health.ready();
      await untilAborted(signal);
      await elector.stop();
    } finally {
      client?.close();
    }
  }

  #lead(term: AbortSignal): void {
    const { log, metrics } = this.#o;
    log.info(`Cluster leadership acquired (lease ${this.#o.namespace}/${this.#o.leaseName})`);
    metrics.leaderStatus(true);
    term.addEventListener(
      'abort',
      () => {
        // isLeader() is already false, so no new stream is accepted while the open ones end.
        this.#o.fence();
        metrics.leaderStatus(false);
        log.info('Cluster leadership lost: all streams closed and tables dropped');
      },
      { once: true },
    );
  }
}
