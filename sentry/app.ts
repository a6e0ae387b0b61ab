// Wires the sentry process: options, logging, health, metrics and signals, and sentry itself
// (sentry.ts: configuration, CA, validators, serving certificate and the gRPC server).
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { sentryMetrics } from './metrics.js';
import { parseOptions, type SentryOptions } from './options.js';
import { Sentry } from './sentry.js';

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
  const sentry = new Sentry({
    options: started.options,
    env,
    targets: started.targets,
    metrics: sentryMetrics(registry),
    log: started.log,
  });
  return runParts(started, [
    ...observabilityParts(started, registry),
    { name: 'sentry', run: (signal) => sentry.run(signal) },
  ]);
}
