// Wires the operator process: options, logging, health, metrics and signals. The operator API
// server, the Service reconciler and the conversion webhook plug in here as further parts.
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { operatorApiPart } from './api/part.js';
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

  const registry = new MetricsRegistry();
  operatorMetrics(registry); // declared now; the reconciler records into them
  const { options, log, targets } = started;
  return runParts(started, [
    operatorApiPart({ options, env, log, targets }),
    ...observabilityParts(started, registry),
  ]);
}
