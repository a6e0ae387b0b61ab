// Wires the operator process: options, logging, health, metrics and signals. The operator API
// server, the Service reconciler and the conversion webhook plug in here as further parts.
import { HealthzServer } from '../kit/healthz.js';
import { MetricsServer } from '../kit/metrics-server.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { operatorMetrics } from './metrics.js';
import { parseOptions, type OperatorOptions } from './options.js';

const spec: ProcessSpec<OperatorOptions> = {
  mainScope: 'dapr.operator',
  title: 'Dapr Operator',
  resolveOptions: parseOptions,
  // The operator only runs in Kubernetes.
  kubernetesMode: () => true,
};

/** Runs the operator until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;
  const { options, log, targets } = started;

  const registry = new MetricsRegistry();
  operatorMetrics(registry); // declared now; the reconciler records into them
  const metricsServer = new MetricsServer({ ...options.metrics, registry, targets, log });
  const healthzServer = new HealthzServer({ port: options.healthzPort, targets, log });

  return runParts(started, [
    { name: 'healthz-server', run: (signal) => healthzServer.run(signal) },
    { name: 'metrics-server', run: (signal) => metricsServer.run(signal) },
  ]);
}
