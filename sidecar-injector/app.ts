// Wires the sidecar injector process: options, logging, health, metrics and signals. The
// admission webhook server and the caBundle patcher plug in here as further parts.
import { HealthzServer } from '../kit/healthz.js';
import { MetricsServer } from '../kit/metrics-server.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { injectorMetrics } from './metrics.js';
import { parseOptions, type InjectorOptions } from './options.js';

const spec: ProcessSpec<InjectorOptions> = {
  mainScope: 'dapr.injector',
  title: 'Dapr Sidecar Injector',
  resolveOptions: parseOptions,
  // The injector only runs in Kubernetes.
  kubernetesMode: () => true,
};

/** Runs the injector until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;
  const { options, log, targets } = started;

  const registry = new MetricsRegistry();
  injectorMetrics(registry); // declared now; the webhook records into them
  const metricsServer = new MetricsServer({ ...options.metrics, registry, targets, log });
  const healthzServer = new HealthzServer({ port: options.healthzPort, targets, log });

  return runParts(started, [
    { name: 'healthz-server', run: (signal) => healthzServer.run(signal) },
    { name: 'metrics-server', run: (signal) => metricsServer.run(signal) },
  ]);
}
