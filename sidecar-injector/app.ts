// Wires the sidecar injector process: options, logging, health, metrics and signals. The
// admission webhook server and the caBundle patcher plug in here as further parts.
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
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

  const registry = new MetricsRegistry();
  injectorMetrics(registry); // declared now; the webhook records into them
  return runParts(started, observabilityParts(started, registry));
}
