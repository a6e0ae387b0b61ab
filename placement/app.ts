// The placement process: options, logging, signals and the observability servers
// (kit/service-main.ts) around placement itself (placement.ts: leadership, security, gRPC server).
import { MetricsRegistry } from '../kit/metrics.js';
import { runService, startProcess, type ProcessSpec } from '../kit/service-main.js';
import { leadershipMode } from './leadership.js';
import { parseOptions, type PlacementOptions } from './options.js';
import { Placement } from './placement.js';

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
  const mode = leadershipMode({ mode: options.mode, peerCount: options.raftPeers.length });
  if (mode.kind === 'invalid') {
    log.fatal(mode.message);
    started.shutdown.dispose();
    return 1;
  }
  const registry = new MetricsRegistry();
  return runService(started, registry, new Placement({ options, env, targets, log, registry, mode }));
}
