// Placement itself, as one part of the process: leadership (one replica, or a Lease election),
// the security provider (with --tls-enabled) and the ReportDaprStatus gRPC server, plus the
// /placement/state route and the metrics host its observability servers use.
import { experimental, ServerCredentials } from '@grpc/grpc-js';
import type { RouteHandler } from '../kit/healthz.js';
import { logger } from '../kit/logger.js';
import type { ObservabilityExtras, ServiceDeps, ServicePart } from '../kit/service-main.js';
import { orAborted, runGroup, type Runner } from '../kit/runner.js';
import type { SecurityProvider } from '../kit/security/provider.js';
import {
  leaseIdentity,
  LeaseLeadership,
  singleReplica,
  type Leadership,
  type LeadershipMode,
} from './leadership.js';
import { placementMetrics } from './metrics.js';
import type { PlacementOptions } from './options.js';
import { placementSecurity } from './security.js';
import { PlacementServer } from './server/server.js';
import { placementStateJson } from './server/state.js';

export interface PlacementDeps extends ServiceDeps<PlacementOptions> {
  /** How this replica leads (app.ts refuses the invalid combinations before placement starts). */
  readonly mode: Exclude<LeadershipMode, { kind: 'invalid' }>;
}

export class Placement implements ServicePart {
  readonly name = 'placement';
  /** Failures keep naming the inner part ("placement-grpc-server: …"), as they always have. */
  readonly transparent = true;
  readonly observability: ObservabilityExtras;
  readonly #parts: Runner[];

  /** Builds every part and registers its health target, so /healthz is 503 until all are ready. */
  constructor({ options, env, targets, log, registry, mode, kube, sign }: PlacementDeps) {
    const metrics = placementMetrics(registry); // the leader gauges are present, at 0, from startup
    // The readiness target keeps upstream's name: there it means "raft started".
    const leadershipHealth = targets.addTarget('placement-raft-leadership');
    const security = options.tlsEnabled
      ? placementSecurity(
          options,
          env,
          logger('dapr.runtime.security'),
          targets.addTarget('security-provider'),
          sign,
        )
      : undefined;
    let listening: () => void = () => undefined;
    const serving = new Promise<void>((resolve) => (listening = resolve));
    const server = new PlacementServer({
      port: options.port,
      listenAddress: options.listenAddress,
      credentials: serverCredentials(security),
      mtls: options.tlsEnabled,
      nodeId: options.raftId,
      // Asked only once the parts run, when the leadership below exists.
      isLeader: () => leadership.isLeader(),
      replicationFactor: options.replicationFactor,
      disseminateTimeoutMs: options.disseminateTimeoutMs,
      coalesceWindowMs: options.disseminateCoalesceWindowMs,
      keepaliveTimeMs: options.keepaliveTimeMs,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs,
      metrics,
      log,
      health: targets.addTarget('placement-grpc-server'),
      onListening: () => listening(),
    });
    const leadership: Leadership =
      mode.kind === 'single'
        ? singleReplica({ metrics, health: leadershipHealth })
        : new LeaseLeadership({
            ...(kube === undefined ? {} : { api: kube }),
            kubeconfig: options.kubeconfig,
            env,
            namespace: options.namespace,
            leaseName: options.leaderElection.leaseName,
            identity: leaseIdentity(options.raftId),
            timings: options.leaderElection,
            log: logger('dapr.placement.leadership'),
            metrics,
            health: leadershipHealth,
            // The fence runs only once the server serves.
            fence: () => server.fence(),
            serving,
          });

    this.#parts = [
      { name: 'placement-leadership', run: (signal) => leadership.run(signal) },
      ...(security === undefined ? [] : [{ name: 'security-provider', run: security.run.bind(security) }]),
      {
        name: 'placement-grpc-server',
        run: async (signal) => {
          // grpc-js needs the identity before it can bind a TLS server
          await orAborted(security?.ready() ?? Promise.resolve(), signal);
          if (signal.aborted) return;
          await server.run(signal);
        },
      },
    ];
    const routes = new Map<string, RouteHandler>();
    if (options.metadataEnabled) {
      routes.set('/placement/state', (_req, res) => {
        const body = placementStateJson(leadership.isLeader() ? server.dissemination.state() : undefined);
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(body);
      });
    }
    // Upstream quirk: placement's metrics bind to its gRPC --listen-address.
    this.observability = { metricsHost: options.listenAddress, routes };
  }

  run(signal: AbortSignal): Promise<void> {
    return runGroup(this.#parts, signal);
  }
}

/**
 * With --tls-enabled, client certificates are required and must chain to the trust anchors
 * (docs/contracts/placement.md §3). The provider serves as both CA and identity source: grpc-js 1.14 swaps the
 * two arguments internally, which is harmless only because they are the same object. Standalone
 * without --tls-enabled: plaintext h2c, as upstream allows.
 */
function serverCredentials(security: SecurityProvider | undefined): ServerCredentials {
  if (security === undefined) return ServerCredentials.createInsecure();
  return experimental.createCertificateProviderServerCredentials(security, security, true);
}
