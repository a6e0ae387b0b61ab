// Wires the sidecar injector process: options, logging, the SVID from sentry, the caches the
// admission path reads (daprsystem's mTLS setting, Components' containers), the caBundle
// keeper, the HTTPS /mutate server, health, metrics and signals.
import { existsSync, readFileSync } from 'node:fs';
import { KubeClient } from '../kit/kubernetes/client.js';
import { loadKubeConnection } from '../kit/kubernetes/config.js';
import { logger } from '../kit/logger.js';
import { KUBERNETES_TOKEN_FILE, LEGACY_KUBERNETES_TOKEN_FILE } from '../kit/security/provider.js';
import { MetricsRegistry } from '../kit/metrics.js';
import { observabilityParts, runParts, startProcess, type ProcessSpec } from '../kit/process.js';
import type { Runner } from '../kit/runner.js';
import { clusterDomainFromResolvConf, injectorConfig } from './annotations/injector-config.js';
import { loadAllowedUids } from './cache/allowed-uids.js';
import { ComponentContainers } from './cache/component-containers.js';
import { MtlsSetting } from './cache/mtls-setting.js';
import { injectorMetrics } from './metrics.js';
import { parseOptions, type InjectorOptions } from './options.js';
import { allowedCallers } from './patcher/decisions.js';
import { injectorSecurity } from './security.js';
import { CaBundleKeeper } from './server/ca-bundle.js';
import { mutator } from './server/mutator.js';
import { webhookHandler } from './server/webhook-handler.js';
import { WebhookServer } from './server/webhook-server.js';

const spec: ProcessSpec<InjectorOptions> = {
  mainScope: 'dapr.injector',
  title: 'Dapr Sidecar Injector',
  resolveOptions: parseOptions,
  // The injector only runs in Kubernetes.
  kubernetesMode: () => true,
};

function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}

/** Runs the injector until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;
  const { options, log, targets } = started;

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
    return 1;
  }

  let api: KubeClient;
  try {
    api = new KubeClient(await loadKubeConnection({ kubeconfig: options.kubeconfig, env }), {
      userAgent: 'dapr-sidecar-injector',
    });
  } catch (err) {
    log.fatal(`Error creating the Kubernetes client: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }

  // Listed once at start-up, as upstream (defence in depth next to the name match).
  const uids = await loadAllowedUids(api, options.env.allowedServiceAccounts, log, started.shutdown.signal);

  const registry = new MetricsRegistry();
  const metrics = injectorMetrics(registry);
  const security = injectorSecurity(
    options,
    env,
    logger('dapr.runtime.security'),
    targets.addTarget('security-provider'),
  );
  const mtls = new MtlsSetting(api, options.env.namespace, log);
  const components = new ComponentContainers(api, log);
  const caBundle = new CaBundleKeeper({ api, log, health: targets.addTarget('webhook-configuration') });
  // Anchor changes reach both the webhook configuration and the next injected sidecars.
  let trustAnchors = '';
  security.addCaCertificateListener((update) => {
    if (update === null) return;
    trustAnchors = update.caCertificate.toString('utf8');
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
      mutate: mutator({
        injector: settings.config,
        policy: { callers: callers.callers, uids },
        trustAnchors: () => trustAnchors,
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

  const parts: Runner[] = [
    ...observabilityParts(started, registry),
    { name: 'security-provider', run: (signal) => security.run(signal) },
    { name: 'daprsystem-configuration', run: (signal) => mtls.run(signal) },
    { name: 'component-containers', run: (signal) => components.run(signal) },
    { name: 'webhook-configuration', run: (signal) => caBundle.run(signal) },
    {
      name: 'injector-service',
      run: async (signal) => {
        // The listener needs a certificate: wait for the first SVID (or shutdown).
        await Promise.race([security.ready(), new Promise((r) => signal.addEventListener('abort', r))]);
        const svid = security.svid;
        if (svid === undefined || signal.aborted) return;
        await server.run(svid, signal);
      },
    },
  ];
  return runParts(started, parts);
}
