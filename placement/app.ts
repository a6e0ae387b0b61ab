// Wires the placement process: options, logging, leadership (one replica, or a Lease election),
// the security provider (with --tls-enabled), the ReportDaprStatus gRPC server, health, metrics,
// /placement/state and signals.
import { experimental, ServerCredentials } from '@grpc/grpc-js';
import type { RouteHandler } from '../kit/healthz.js';
import { logger } from '../kit/logger.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import type { Runner } from '../kit/runner.js';
import { placementMetrics } from './metrics.js';
import { parseOptions, type PlacementOptions } from './options.js';
import { placementSecurity } from './security.js';
import {
  leadershipMode,
  leaseIdentity,
  LeaseLeadership,
  singleReplica,
  type Leadership,
} from './leadership.js';
import { PlacementServer } from './server/server.js';
import { placementStateJson } from './server/state.js';

const spec: ProcessSpec<PlacementOptions> = {
  mainScope: 'dapr.placement',
  title: 'Dapr Placement Service',
  resolveOptions: parseOptions,
  kubernetesMode: (options) => options.mode === 'kubernetes',
};

/** Runs placement until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;
  const { options, log, targets } = started;

  const registry = new MetricsRegistry();
  const metrics = placementMetrics(registry); // the leader gauges are present, at 0, from startup

  const mode = leadershipMode({ mode: options.mode, peerCount: options.raftPeers.length });
  if (mode.kind === 'invalid') {
    log.fatal(mode.message);
    started.shutdown.dispose();
    return 1;
  }
  // The readiness target keeps upstream's name: there it means "raft started".
  const leadershipHealth = targets.addTarget('placement-raft-leadership');
  let listening: () => void = () => undefined;
  const serving = new Promise<void>((resolve) => (listening = resolve));
  const leadership: Leadership =
    mode.kind === 'single'
      ? singleReplica({ metrics, health: leadershipHealth })
      : new LeaseLeadership({
          kubeconfig: options.kubeconfig,
          env,
          namespace: options.namespace,
          leaseName: options.leaderElection.leaseName,
          identity: leaseIdentity(options.raftId),
          timings: options.leaderElection,
          log: logger('dapr.placement.leadership'),
          metrics,
          health: leadershipHealth,
          // `server` is defined below; the fence runs only once the server serves.
          fence: () => server.fence(),
          serving,
        });
  const isLeader = (): boolean => leadership.isLeader();

  const parts: Runner[] = [{ name: 'placement-leadership', run: (signal) => leadership.run(signal) }];
  let credentials: ServerCredentials;
  let securityReady: Promise<void> = Promise.resolve();
  if (options.tlsEnabled) {
    const security = placementSecurity(
      options,
      env,
      logger('dapr.runtime.security'),
      targets.addTarget('security-provider'),
    );
    parts.push({ name: 'security-provider', run: (signal) => security.run(signal) });
    // Client certificates are required and must chain to the trust anchors (docs/contracts/placement.md §3).
    // The provider serves as both CA and identity source: grpc-js 1.14 swaps the two arguments
    // internally, which is harmless only because they are the same object.
    credentials = experimental.createCertificateProviderServerCredentials(security, security, true);
    securityReady = security.ready();
  } else {
    // Standalone without --tls-enabled: plaintext h2c, as upstream allows.
    credentials = ServerCredentials.createInsecure();
  }

  const server = new PlacementServer({
    port: options.port,
    listenAddress: options.listenAddress,
    credentials,
    mtls: options.tlsEnabled,
    nodeId: options.raftId,
    isLeader,
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
  parts.push({
    name: 'placement-grpc-server',
    run: async (signal) => {
      // grpc-js needs the identity before it can bind a TLS server
      await Promise.race([
        securityReady,
        new Promise((resolve) => signal.addEventListener('abort', resolve)),
      ]);
      if (signal.aborted) return;
      await server.run(signal);
    },
  });

  const routes = new Map<string, RouteHandler>();
  if (options.metadataEnabled) {
    routes.set('/placement/state', (_req, res) => {
      const body = placementStateJson(isLeader() ? server.dissemination.state() : undefined);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(body);
    });
  }
  // Upstream quirk: placement's metrics bind to its gRPC --listen-address.
  return runParts(started, [
    ...parts,
    ...observabilityParts(started, registry, options.listenAddress, routes),
  ]);
}
