// Wires the placement process: options, logging, health, metrics and signals. The placement
// service itself (gRPC stream, tables, leadership) plugs in here as further parts.
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
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

  const registry = new MetricsRegistry();
  placementMetrics(registry); // the leader gauges are present, at 0, from startup
  // Upstream quirk: placement's metrics bind to its gRPC --listen-address.
  return runParts(started, observabilityParts(started, registry, started.options.listenAddress));
}
