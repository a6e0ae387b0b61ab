// Wires the operator process: options, logging, the apiserver client, the bootstrap
// Configuration, the SVID from sentry, health, metrics and signals, then the parts: the
// conversion webhook and CRD caBundle upkeep (every replica) and the Service reconciler (leader
// only, reconcile-parts.ts). The operator gRPC API plugs in here as a further part.
import { KubeClient } from '../kit/kubernetes/client.js';
import { loadKubeConnection } from '../kit/kubernetes/config.js';
import { logger } from '../kit/logger.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import { readBootstrapConfig } from './bootstrap-config.js';
import { loadElectorFactory } from './elector.js';
import type { ElectorFactory } from './leadership.js';
import { operatorMetrics } from './metrics.js';
import { parseOptions, type OperatorOptions } from './options.js';
import { reconcileParts } from './reconcile-parts.js';
import { operatorSecurity } from './security.js';

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
  const metrics = operatorMetrics(registry); // declared now; the reconciler records into them

  let api: KubeClient;
  let config: Awaited<ReturnType<typeof readBootstrapConfig>>;
  let createElector: ElectorFactory | undefined;
  try {
    const connection = await loadKubeConnection({ kubeconfig: options.kubeconfig, env });
    api = new KubeClient(connection, { userAgent: 'dapr-operator' });
    log.info(`Using the apiserver at ${api.server} (${connection.source})`);
    config = await readBootstrapConfig(api, options.namespace, options.configName);
    createElector = options.disableLeaderElection ? undefined : await loadElectorFactory();
  } catch (err) {
    log.fatal(`Failed to start the operator: ${err instanceof Error ? err.message : String(err)}`);
    started.shutdown.dispose();
    return 1;
  }

  const security = operatorSecurity(
    options,
    config,
    env,
    logger('dapr.runtime.security'),
    targets.addTarget('security-provider'),
  );
  const code = await runParts(started, [
    { name: 'security-provider', run: (signal) => security.run(signal) },
    ...reconcileParts({ options, api, security, targets, metrics, registry, createElector }),
    ...observabilityParts(started, registry),
  ]);
  api.close();
  return code;
}
