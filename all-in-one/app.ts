// The all-in-one process (docs/all-in-one.md): sentry, placement, the operator and the injector
// as four parts of one process, each with its own ports, flags, metrics and health targets,
// sharing what a process has once: options and logging (kit/service-main.ts), one /healthz that
// is ready when all four are, one metrics exporter over one registry (the Node process metrics
// once), one apiserver client with one watch per collection, and sentry itself as the signer of
// the other three's SVIDs.
import { KubeClient } from '../kit/kubernetes/client.js';
import { loadKubeConnection } from '../kit/kubernetes/config.js';
import { SharedWatches } from '../kit/kubernetes/shared-watches.js';
import { logger } from '../kit/logger.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/service-main.js';
import { Operator } from '../operator/operator.js';
import { leadershipMode } from '../placement/leadership.js';
import { Placement } from '../placement/placement.js';
import { Sentry } from '../sentry/sentry.js';
import { Injector, injectorSettings } from '../sidecar-injector/injector.js';
import { parseOptions, type AllInOneOptions } from './options.js';

const spec: ProcessSpec<AllInOneOptions> = {
  mainScope: 'dapr.allinone',
  title: 'Dapr control plane (all-in-one: sentry, placement, operator, injector)',
  resolveOptions: parseOptions,
  // The operator and the injector only run in Kubernetes.
  kubernetesMode: () => true,
};

/** Runs the four services until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;
  const { options, log, targets } = started;
  const mode = leadershipMode({
    mode: options.placement.mode,
    peerCount: options.placement.raftPeers.length,
  });
  const settings = injectorSettings(options.injector, env, logger('dapr.injector'));
  if (mode.kind === 'invalid' || settings === undefined) {
    if (mode.kind === 'invalid') log.fatal(mode.message);
    started.shutdown.dispose();
    return 1;
  }
  let kube: KubeClient;
  try {
    kube = new KubeClient(await loadKubeConnection({ kubeconfig: options.kubeconfig, env }), {
      userAgent: 'dapr-all-in-one',
    });
  } catch (err) {
    log.fatal(`Error creating the Kubernetes client: ${err instanceof Error ? err.message : String(err)}`);
    started.shutdown.dispose();
    return 1;
  }
  try {
    const registry = new MetricsRegistry();
    // One list-and-watch per collection for the four (docs/all-in-one.md, "What is shared").
    const watches = new SharedWatches({ api: kube });
    const shared = { env, registry, kube, watches };
    const sentry = new Sentry({
      ...shared,
      options: options.sentry,
      targets: targets.scoped('sentry'),
      log: logger('dapr.sentry'),
    });
    const sign = sentry.signer;
    const placement = new Placement({
      ...shared,
      sign,
      mode,
      options: options.placement,
      targets: targets.scoped('placement'),
      log: logger('dapr.placement'),
    });
    const operator = new Operator({
      ...shared,
      sign,
      options: options.operator,
      targets: targets.scoped('operator'),
      log: logger('dapr.operator'),
    });
    const injector = await Injector.connect(
      {
        ...shared,
        sign,
        settings,
        options: options.injector,
        targets: targets.scoped('injector'),
        log: logger('dapr.injector'),
      },
      started.shutdown.signal,
    );
    if (injector === undefined) {
      started.shutdown.dispose();
      return 1;
    }
    // One exporter on all interfaces (placement's quirk of binding its --listen-address is its
    // own process's); placement's /placement/state stays on the one healthz port.
    const observability = observabilityParts(started, registry, undefined, placement.observability.routes);
    return await runParts(started, [...observability, sentry, placement, operator, injector]);
  } finally {
    kube.close();
  }
}
