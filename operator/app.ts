// Wires the operator process: options, logging, health, metrics and signals, then the parts:
// the operator API (apiserver client, daprsystem, SVID, informers, gRPC server) and, sharing its
// client and SVID, the conversion webhook and CRD caBundle upkeep (every replica) and the
// Service reconciler (leader only, reconcile-parts.ts).
import { LeaderElector } from '../kit/kubernetes/lease.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { operatorApiPart } from './api/part.js';
import { operatorMetrics } from './metrics.js';
import { parseOptions, type OperatorOptions } from './options.js';
import { reconcileParts } from './reconcile-parts.js';

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
  const metrics = operatorMetrics(registry); // declared now; the reconciler records into them
  const { options, log, targets } = started;
  return runParts(started, [
    operatorApiPart({
      options,
      env,
      log,
      targets,
      sharedParts: ({ api, security }) =>
        reconcileParts({
          options,
          api,
          security,
          targets,
          metrics,
          registry,
          createElector: options.disableLeaderElection ? undefined : (o) => new LeaderElector(o),
        }),
    }),
    ...observabilityParts(started, registry),
  ]);
}
