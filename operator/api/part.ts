// The operator API as one part of the process (docs/contracts/operator.md §5): connect to the apiserver, read
// daprsystem, get the SVID from sentry, then run the informers and the gRPC server until
// shutdown. The gRPC listener opens only once the SVID is held, as upstream's does.
import { experimental } from '@grpc/grpc-js';
import type { HealthTargets } from '../../kit/health-targets.js';
import { KubeClient, type KubeApi } from '../../kit/kubernetes/client.js';
import { loadKubeConnection } from '../../kit/kubernetes/config.js';
import { logger, type Logger } from '../../kit/logger.js';
import { runGroup, type Runner } from '../../kit/runner.js';
import type { SecurityProvider } from '../../kit/security/provider.js';
import { loadBootstrap } from '../bootstrap.js';
import { Informers } from '../cache/informers.js';
import type { OperatorOptions } from '../options.js';
import { operatorSecurity } from '../security.js';
import { sharedSecretReader } from './secret-cache.js';
import type { SecretReader } from './secrets.js';
import { OperatorApiServer } from './server.js';

/** Secret.data from the API (shared for seconds only: a List must see rotated values, §1.5). */
export function apiSecretReader(api: KubeApi): SecretReader {
  return async (namespace, name) => {
    const secret = await api.request<{ data?: Record<string, string> }>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
      { timeoutMs: 4_000 }, // daprd gives each attempt 5 s
    );
    return secret?.data ?? {};
  };
}

export interface ApiPartInput {
  readonly options: OperatorOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  readonly targets: HealthTargets;
  /** Reports the bound gRPC port (tests use port 0). */
  readonly onListening?: (port: number) => void;
  /**
   * Further parts that share this part's apiserver client and SVID (the conversion webhook, the
   * CRD upkeep and the reconcilers), run in the same group.
   */
  readonly sharedParts?: (shared: { readonly api: KubeApi; readonly security: SecurityProvider }) => Runner[];
}

export function operatorApiPart({
  options,
  env,
  log,
  targets,
  onListening,
  sharedParts,
}: ApiPartInput): Runner {
  // Registered now, so /healthz is 503 until each is really ready.
  const securityTarget = targets.addTarget('security-provider');
  const operatorSecurityTarget = targets.addTarget('operator-security');
  const cacheTarget = targets.addTarget('operator-cache');
  const apiTarget = targets.addTarget('operator-api-server');
  return {
    name: 'operator-api',
    run: async (signal) => {
      const kube = new KubeClient(await loadKubeConnection({ kubeconfig: options.kubeconfig, env }), {
        userAgent: 'dapr-operator',
      });
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
          health: securityTarget,
        });
        const informers = new Informers({
          api: kube,
          watchNamespace: options.watchNamespace,
          log: logger('dapr.operator.cache'),
          health: cacheTarget,
        });
        const server = new OperatorApiServer({
          port: options.apiPort,
          listenAddress: options.apiListenAddress,
          // Client certificates required, chained to the trust anchors (which the provider re-reads).
          credentials: experimental.createCertificateProviderServerCredentials(security, security, true),
          informers,
          readSecret: sharedSecretReader(apiSecretReader(kube)),
          log: logger('dapr.operator.api'),
          health: apiTarget,
          onListening,
        });
        await runGroup(
          [
            { name: 'security-provider', run: (s) => security.run(s) },
            { name: 'operator-cache', run: (s) => informers.run(s) },
            {
              name: 'operator-api-server',
              run: async (s) => {
                await Promise.race([
                  security.ready(),
                  new Promise((resolve) => s.addEventListener('abort', resolve)),
                ]);
                if (s.aborted) return;
                operatorSecurityTarget.ready();
                await server.run(s);
              },
            },
            ...(sharedParts?.({ api: kube, security }) ?? []),
          ],
          signal,
        );
      } finally {
        kube.close();
      }
    },
  };
}
