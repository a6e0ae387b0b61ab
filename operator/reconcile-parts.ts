// The operator's Kubernetes-facing duties besides the gRPC API: the conversion webhook and the
// CRD caBundle upkeep (every replica, unless ENABLE_WEBHOOKS=false), and the Service reconciler
// (leader only, unless --disable-service-reconciler). operator.ts runs these beside the API.
import type { HealthTargets } from '../kit/health-targets.js';
import type { KubeApi } from '../kit/kubernetes/client.js';
import { SharedWatches } from '../kit/kubernetes/shared-watches.js';
import type { MetricsRegistry } from '../kit/metrics.js';
import { logger } from '../kit/logger.js';
import type { Runner } from '../kit/runner.js';
import type { SecurityProvider } from '../kit/security/provider.js';
import { CaBundleUpkeep } from './conversion/ca-bundle.js';
import { ConversionWebhook } from './conversion/webhook.js';
import { leaderOnlyRunner, type ElectorFactory } from './leadership.js';
import type { OperatorMetrics } from './metrics.js';
import type { OperatorOptions } from './options.js';
import { ServiceReconciler } from './services/reconciler.js';
import { MissingSidecarDetector } from './sidecars/detector.js';
import { EventRecorder } from '../kit/kubernetes/events.js';
import { DEPLOYMENT, ROLLOUT, STATEFUL_SET } from './services/workloads.js';

export interface ReconcilePartsOptions {
  readonly options: OperatorOptions;
  readonly api: KubeApi;
  /** The informers' watches: the reconciler and the detector share their collections; default: new ones. */
  readonly watches?: SharedWatches;
  readonly security: SecurityProvider;
  readonly targets: HealthTargets;
  readonly metrics: OperatorMetrics;
  readonly registry: MetricsRegistry;
  /** undefined with --disable-leader-election. */
  readonly createElector?: ElectorFactory;
}

export function reconcileParts(o: ReconcilePartsOptions): Runner[] {
  const { options, api, security, targets, metrics } = o;
  const watches = o.watches ?? new SharedWatches({ api });
  const parts: Runner[] = [];

  const webhookHealth = targets.addTarget('operator-webhook');
  if (options.webhooksEnabled) {
    const webhook = new ConversionWebhook({
      port: options.webhookServerPort,
      host: options.webhookServerListenAddress,
      identity: security,
      log: logger('dapr.operator.conversion'),
    });
    const upkeep = new CaBundleUpkeep({
      api,
      namespace: options.namespace,
      anchors: security,
      log: logger('dapr.operator.conversion'),
      health: webhookHealth,
    });
    parts.push({ name: 'conversion-webhook', run: (signal) => webhook.run(signal) });
    parts.push({ name: 'crd-ca-bundle', run: (signal) => upkeep.run(signal) });
  } else {
    webhookHealth.ready(); // nothing to wait for, as upstream
  }

  const leaderOnly: Runner[] = [];
  if (!options.disableServiceReconciler) {
    const kinds = options.enableArgoRolloutServiceReconciler
      ? [DEPLOYMENT, STATEFUL_SET, ROLLOUT]
      : [DEPLOYMENT, STATEFUL_SET];
    // Not an upstream series: it shows that only Dapr-enabled workloads are held in memory.
    const held = o.registry.gauge({
      name: 'dapr_operator_service_reconciler_workloads',
      help: 'The number of Dapr-enabled workloads the Service reconciler holds.',
      initialValue: 0,
    });
    const reconciler = new ServiceReconciler({
      api,
      watches,
      kinds,
      namespace: options.watchNamespace,
      metrics,
      log: logger('dapr.operator.handlers'),
      onWorkloadCount: (count) => held.set(count),
    });
    leaderOnly.push({ name: 'service-reconciler', run: (signal) => reconciler.run(signal) });
  }
  leaderOnly.push(missingSidecarPart({ ...o, watches }));
  const log = logger('dapr.operator.leaderelection');
  parts.push(
    leaderOnlyRunner({
      parts: leaderOnly,
      election:
        options.disableLeaderElection || o.createElector === undefined
          ? undefined
          : { api, namespace: options.namespace, createElector: o.createElector },
      log,
    }),
  );
  return parts;
}

/**
 * The missing-sidecar detector (docs/operator.md, "When daprd is missing"), leader only like the
 * Service reconciler. Its Events continue those a previous leader wrote within the hour instead
 * of repeating them, and are rewritten at most hourly.
 */
function missingSidecarPart(o: ReconcilePartsOptions): Runner {
  // Not an upstream series (docs/contracts/observability.md lists upstream's; this is ours).
  const missing = o.registry.gauge({
    name: 'dapr_operator_pods_without_sidecar',
    help: 'The number of running or pending pods with dapr.io/enabled that have no daprd container.',
    initialValue: 0,
  });
  const log = logger('dapr.operator.sidecars');
  return {
    name: 'missing-sidecar-detector',
    run: async (signal) => {
      const recorder = new EventRecorder({
        api: o.api,
        component: 'dapr-operator',
        log,
        adoptExisting: true,
        rewriteAfterMs: 3_600_000,
      });
      const detector = new MissingSidecarDetector({
        api: o.api,
        watches: o.watches,
        namespace: o.options.watchNamespace,
        controlPlaneNamespace: o.options.namespace,
        recorder,
        log,
        onMissingCount: (count) => missing.set(count),
      });
      try {
        await detector.run(signal);
      } finally {
        recorder.close();
      }
    },
  };
}
