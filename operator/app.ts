// The operator process: options, logging, signals and the observability servers
// (kit/service-main.ts) around the operator itself (operator.ts: API, webhook, reconcilers).
import { MetricsRegistry } from '../kit/metrics.js';
import { runService, startProcess, type ProcessSpec } from '../kit/service-main.js';
import { Operator } from './operator.js';
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
  return runService(started, registry, new Operator({ options, env, targets, log, registry }));
}
