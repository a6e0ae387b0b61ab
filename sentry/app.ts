// Wires the sentry process: options, logging, health, metrics and signals. The CA, its gRPC
// server and the validators plug in here as further parts.
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { sentryMetrics } from './metrics.js';
import { parseOptions, type SentryOptions } from './options.js';

const spec: ProcessSpec<SentryOptions> = {
  mainScope: 'dapr.sentry',
  title: 'Dapr Sentry certificate authority',
  resolveOptions: parseOptions,
  kubernetesMode: (options) => options.mode === 'kubernetes',
};

/** Runs sentry until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;

  const registry = new MetricsRegistry();
  sentryMetrics(registry); // declared now; the CA records into them
  return runParts(started, observabilityParts(started, registry));
}
