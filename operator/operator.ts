// The operator itself, as one part of the process (docs/contracts/operator.md §5): connect to the apiserver,
// read daprsystem, get the SVID from sentry, then run the informers and the gRPC server and,
// sharing that client and SVID, the conversion webhook, the CRD caBundle upkeep and the Service
// reconciler (reconcile-parts.ts). The gRPC listener opens only once the SVID is held, as
// upstream's does.
import { experimental } from '@grpc/grpc-js';
import type { HealthTarget } from '../kit/health-targets.js';
import { KubeClient } from '../kit/kubernetes/client.js';
import { loadKubeConnection } from '../kit/kubernetes/config.js';
import { LeaderElector } from '../kit/kubernetes/lease.js';
import { SharedWatches } from '../kit/kubernetes/shared-watches.js';
import { logger } from '../kit/logger.js';
import type { ServiceDeps, ServicePart } from '../kit/service-main.js';
import { orAborted, runGroup } from '../kit/runner.js';
import { apiSecretReader, sharedSecretReader } from './api/secret-cache.js';
import { OperatorApiServer } from './api/server.js';
import { loadBootstrap } from './bootstrap.js';
import { Informers } from './cache/informers.js';
import { operatorMetrics, type OperatorMetrics } from './metrics.js';
import type { OperatorOptions } from './options.js';
import { reconcileParts } from './reconcile-parts.js';
import { operatorSecurity } from './security.js';

export type OperatorDeps = ServiceDeps<OperatorOptions>;

export class Operator implements ServicePart {
  /** The name its failures have always carried ("operator-api: operator-api-server: …"). */
  readonly name = 'operator-api';
  readonly #deps: OperatorDeps;
  readonly #metrics: OperatorMetrics;
  readonly #securityTarget: HealthTarget;
  readonly #operatorSecurityTarget: HealthTarget;
  readonly #cacheTarget: HealthTarget;
  readonly #apiTarget: HealthTarget;

  /** Registers the health targets at once, so /healthz is 503 until each is really ready. */
  constructor(deps: OperatorDeps) {
    this.#deps = deps;
    this.#metrics = operatorMetrics(deps.registry); // declared now; the reconciler records into them
    this.#securityTarget = deps.targets.addTarget('security-provider');
    this.#operatorSecurityTarget = deps.targets.addTarget('operator-security');
    this.#cacheTarget = deps.targets.addTarget('operator-cache');
    this.#apiTarget = deps.targets.addTarget('operator-api-server');
  }

  async run(signal: AbortSignal): Promise<void> {
    const { options, env, log, targets, registry, sign } = this.#deps;
    const owned =
      this.#deps.kube === undefined
        ? new KubeClient(await loadKubeConnection({ kubeconfig: options.kubeconfig, env }), {
            userAgent: 'dapr-operator',
          })
        : undefined;
    const kube = this.#deps.kube ?? owned!;
    try {
      const bootstrap = await loadBootstrap(kube, options.namespace, options.configName, signal);
      log.info(
        `Using sentry ${bootstrap.sentryAddress}, control-plane trust domain ${bootstrap.controlPlaneTrustDomain}`,
      );
      const security = operatorSecurity({
        options,
        bootstrap,
        env,
        log: logger('dapr.runtime.security'),
        health: this.#securityTarget,
        ...(sign === undefined ? {} : { sign }),
      });
      // One watch per collection for the informers, the detector and the reconciler (and, in the
      // all-in-one process, sentry and the injector): the pods, for one, are watched once.
      const watches = this.#deps.watches ?? new SharedWatches({ api: kube });
      const informers = new Informers({
        api: kube,
        watches,
        watchNamespace: options.watchNamespace,
        log: logger('dapr.operator.cache'),
        health: this.#cacheTarget,
      });
      const server = new OperatorApiServer({
        port: options.apiPort,
        listenAddress: options.apiListenAddress,
        // Client certificates required, chained to the trust anchors (which the provider re-reads).
        credentials: experimental.createCertificateProviderServerCredentials(security, security, true),
        informers,
        readSecret: sharedSecretReader(apiSecretReader(kube)),
        log: logger('dapr.operator.api'),
        health: this.#apiTarget,
      });
      await runGroup(
        [
          { name: 'security-provider', run: (s) => security.run(s) },
          { name: 'operator-cache', run: (s) => informers.run(s) },
          {
            name: 'operator-api-server',
            run: async (s) => {
              await orAborted(security.ready(), s);
              if (s.aborted) return;
              this.#operatorSecurityTarget.ready();
              await server.run(s);
            },
          },
          ...reconcileParts({
            options,
            api: kube,
            watches,
            security,
            targets,
            metrics: this.#metrics,
            registry,
            createElector: options.disableLeaderElection ? undefined : (o) => new LeaderElector(o),
          }),
        ],
        signal,
      );
    } finally {
      owned?.close();
    }
  }
}
