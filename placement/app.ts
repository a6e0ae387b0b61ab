// Wires the placement process: options, logging, health, metrics and signals. The placement
// service itself (gRPC stream, tables, leadership) plugs in here as further parts.
import { HealthzServer } from '../kit/healthz.js';
import { MetricsServer } from '../kit/metrics-server.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { placementMetrics } from './metrics.js';
import { parseOptions, type PlacementOptions } from './options.js';

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
  placementMetrics(registry); // the leader gauges are present, at 0, from startup
  const metricsServer = new MetricsServer({
    ...options.metrics,
    // Upstream quirk: placement's metrics bind to its gRPC --listen-address.
    host: options.listenAddress,
    registry,
    targets,
    log,
  });
  const healthzServer = new HealthzServer({ port: options.healthzPort, targets, log });

  return runParts(started, [
    { name: 'healthz-server', run: (signal) => healthzServer.run(signal) },
    { name: 'metrics-server', run: (signal) => metricsServer.run(signal) },
  ]);
}
