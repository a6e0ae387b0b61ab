// The sidecar injector itself, as one part of the process: the SVID from sentry, the caches the
// admission path reads (daprsystem's mTLS setting, Components' containers), the caBundle keeper
// and the HTTPS /mutate server. Settings from the environment are checked, the apiserver client
// made and the allowed service accounts' UIDs listed before anything is served.
import { existsSync, readFileSync } from 'node:fs';
import { KubeClient } from '../kit/kubernetes/client.js';
import { EventRecorder } from '../kit/kubernetes/events.js';
import { loadKubeConnection } from '../kit/kubernetes/config.js';
import { logger, type Logger } from '../kit/logger.js';
import type { ServiceDeps, ServicePart } from '../kit/service-main.js';
import { orAborted, runGroup, type Runner } from '../kit/runner.js';
import { KUBERNETES_TOKEN_FILE, LEGACY_KUBERNETES_TOKEN_FILE } from '../kit/security/provider.js';
import {
  clusterDomainFromResolvConf,
  injectorConfig,
  type InjectorConfig,
} from './annotations/injector-config.js';
import { loadAllowedUids } from './cache/allowed-uids.js';
import { ComponentContainers } from './cache/component-containers.js';
import { MtlsSetting } from './cache/mtls-setting.js';
import { injectorMetrics } from './metrics.js';
import type { InjectorOptions } from './options.js';
import { allowedCallers, type AllowedCaller } from './patcher/decisions.js';
import { injectorSecurity } from './security.js';
import { CaBundleKeeper } from './server/ca-bundle.js';
import { declineReporter } from './server/decline-events.js';
import { mutator } from './server/mutator.js';
import { webhookHandler } from './server/webhook-handler.js';
import { WebhookServer } from './server/webhook-server.js';

/** What the injector reads from its environment besides the flags. */
export interface InjectorSettings {
  readonly config: InjectorConfig;
  readonly callers: readonly AllowedCaller[];
}

function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** The settings, with their warnings logged; undefined (after a fatal log) when they are invalid. */
export function injectorSettings(
  options: InjectorOptions,
  env: NodeJS.ProcessEnv,
  log: Logger,
): InjectorSettings | undefined {
  const settings = injectorConfig({
    env: options.env,
    schedulerEnabled: options.schedulerEnabled,
    componentsSocketsFolder: env.DAPR_COMPONENT_SOCKETS_FOLDER,
    // Upstream gives daprd the projected token volume only when the injector itself has a
    // Kubernetes token (always, in a pod); checked once, as the files do not come and go.
    mountSentryToken: existsSync(KUBERNETES_TOKEN_FILE) || existsSync(LEGACY_KUBERNETES_TOKEN_FILE),
    detectedClusterDomain:
      options.env.kubeClusterDomain === '' ? clusterDomainFromResolvConf(readResolvConf()) : undefined,
  });
  for (const warning of settings.warnings) log.warn(warning);
  if (options.env.allowedServiceAccountsPrefixNames !== '') {
    log.warn('ALLOWED_SERVICE_ACCOUNTS_PREFIX_NAMES is deprecated; use ALLOWED_SERVICE_ACCOUNTS');
  }
  const callers = allowedCallers([
    options.env.allowedServiceAccounts,
    options.env.allowedServiceAccountsPrefixNames,
  ]);
  const errors = [...settings.errors, ...callers.errors];
  if (errors.length > 0) {
    log.fatal(`Error getting config: ${errors.join('; ')}`);
    return undefined;
  }
  return { config: settings.config, callers: callers.callers };
}

export interface InjectorDeps extends ServiceDeps<InjectorOptions> {
  readonly settings: InjectorSettings;
}

export class Injector implements ServicePart {
  readonly name = 'injector';
  /** Failures keep naming the inner part ("injector-service: …"), as they always have. */
  readonly transparent = true;
  readonly #parts: Runner[];
  /** The trust anchors the next injected sidecars get; follows the provider's updates. */
  #trustAnchors = '';
  #events: EventRecorder | undefined;

  /**
   * Makes the apiserver client and lists the allowed UIDs, then the injector; undefined (after a
   * fatal log) when there is no client.
   */
  static async connect(deps: InjectorDeps, signal: AbortSignal): Promise<Injector | undefined> {
    const { options, env, log } = deps;
    let api: KubeClient;
    try {
      api =
        deps.kube ??
        new KubeClient(await loadKubeConnection({ kubeconfig: options.kubeconfig, env }), {
          userAgent: 'dapr-sidecar-injector',
        });
    } catch (err) {
      log.fatal(`Error creating the Kubernetes client: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    // Listed once at start-up, as upstream (defence in depth next to the name match).
    const uids = await loadAllowedUids(api, options.env.allowedServiceAccounts, log, signal);
    return new Injector(deps, api, uids);
  }

  private constructor(deps: InjectorDeps, api: KubeClient, uids: Set<string>) {
    const { options, env, log, targets, registry, settings } = deps;
    const metrics = injectorMetrics(registry);
    const security = injectorSecurity(
      options,
      env,
      logger('dapr.runtime.security'),
      targets.addTarget('security-provider'),
      deps.sign,
    );
    const mtls = new MtlsSetting(api, options.env.namespace, log);
    const components = new ComponentContainers(api, log, deps.watches);
    // Why a pod that asks for Dapr got no sidecar, as Events on its owner (docs/injector.md).
    const events = new EventRecorder({ api, component: 'dapr-sidecar-injector', log });
    this.#events = events;
    const caBundle = new CaBundleKeeper({ api, log, health: targets.addTarget('webhook-configuration') });
    // Anchor changes reach both the webhook configuration and the next injected sidecars.
    security.addCaCertificateListener((update) => {
      if (update === null) return;
      this.#trustAnchors = update.caCertificate.toString('utf8');
      caBundle.update(update.caCertificate);
    });

    const server = new WebhookServer({
      port: options.port,
      log,
      health: targets.addTarget('injector-service'),
      handler: webhookHandler({
        metrics,
        // Upstream's webhook service logs under this scope (docs/contracts/observability.md §5).
        log: logger('dapr.injector.service'),
        decided: declineReporter(events, logger('dapr.injector.service')),
        mutate: mutator({
          injector: settings.config,
          policy: { callers: settings.callers, uids },
          trustAnchors: () => this.#trustAnchors,
          mtlsEnabled: () => mtls.enabled,
          componentContainers: (namespace, appId) => {
            if (!components.synced)
              throw new Error('error when fetching components: the Components are not listed yet');
            return components.forApp(namespace, appId);
          },
        }),
      }),
    });
    security.addIdentityCertificateListener((update) => {
      if (update !== null)
        server.updateCertificate({ certChainPem: update.certificate, privateKeyPem: update.privateKey });
    });

    this.#parts = [
      { name: 'security-provider', run: (signal) => security.run(signal) },
      { name: 'daprsystem-configuration', run: (signal) => mtls.run(signal) },
      { name: 'component-containers', run: (signal) => components.run(signal) },
      { name: 'webhook-configuration', run: (signal) => caBundle.run(signal) },
      {
        name: 'injector-service',
        run: async (signal) => {
          // The listener needs a certificate: wait for the first SVID (or shutdown).
          await orAborted(security.ready(), signal);
          const svid = security.svid;
          if (svid === undefined || signal.aborted) return;
          await server.run(svid, signal);
        },
      },
    ];
  }

  run(signal: AbortSignal): Promise<void> {
    // Pending Events are dropped at shutdown: the process must not wait on them.
    signal.addEventListener('abort', () => this.#events?.close(), { once: true });
    return runGroup(this.#parts, signal);
  }
}
