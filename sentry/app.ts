// Wires the sentry process: options, logging, health, metrics and signals. The CA, its gRPC
// server and the validators plug in here as further parts.
import { HealthzServer } from '../kit/healthz.js';
import { MetricsServer } from '../kit/metrics-server.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { runParts, startProcess, type ProcessSpec } from '../kit/process.js';
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
  const { options, log, targets } = started;

  const registry = new MetricsRegistry();
  sentryMetrics(registry); // declared now; the CA records into them
  const metricsServer = new MetricsServer({ ...options.metrics, registry, targets, log });
  const healthzServer = new HealthzServer({ port: options.healthzPort, targets, log });

  return runParts(started, [
    { name: 'healthz-server', run: (signal) => healthzServer.run(signal) },
    { name: 'metrics-server', run: (signal) => metricsServer.run(signal) },
  ]);
}
