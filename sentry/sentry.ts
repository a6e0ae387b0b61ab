// Sentry itself, as one part of the process (upstream's pkg/sentry New + Start): read the
// daprsystem Configuration, choose the validators, load the CA from its store, then run the CA's
// change watch, sentry's own serving certificate, the gRPC server and the validators together.
// Any startup failure rejects run(), which ends the process with exit code 1.
import { ed25519 } from '../kit/x509/ed25519.js';
import { KubeClient } from '../kit/kubernetes/client.js';
import { loadKubeConnection } from '../kit/kubernetes/config.js';
import { abortableDelay } from '../kit/kubernetes/list-watch.js';
import type { HealthTarget } from '../kit/health-targets.js';
import { logger } from '../kit/logger.js';
import type { ServiceDeps, ServicePart } from '../kit/service-main.js';
import type { Signer } from '../kit/security/provider.js';
import { runGroup, type Runner } from '../kit/runner.js';
import { generateBundle } from './ca/bundle.js';
import { pollForChanges, watchDirectories, type ChangeSource } from './ca/changes.js';
import { credentialDirectories, credentialPaths, FileCaStore } from './ca/file-store.js';
import { KubernetesCaStore } from './ca/kube-store.js';
import { loadCa } from './ca/loader.js';
import { CaProvider } from './ca/provider.js';
import { bundleKeys } from './ca/bundle-layout.js';
import type { CaStore } from './ca/ca-store.js';
import { clusterDomainFromDns } from './cluster-domain.js';
import { loadKubernetesConfig, loadStandaloneConfig, type LoadedConfig } from './config.js';
import { sentryMetrics, type SentryMetrics } from './metrics.js';
import type { SentryOptions } from './options.js';
import { TokenValidator, tokenValidatorName } from '../kit/proto/sentry.js';
import { SentryServer } from './server/server.js';
import { ServingCertificate } from './server/serving-cert.js';
import { SignService } from './server/sign.js';
import { sentrySpiffeId } from '../kit/security/spiffe.js';
import { chooseValidators } from './validator/selection.js';
import { InsecureValidator } from './validator/insecure/insecure.js';
import { tokenReviewer } from './validator/kubernetes/client.js';
import { KubernetesValidator } from './validator/kubernetes/kubernetes.js';
import { PodCache } from './validator/kubernetes/pod-cache.js';
import type { Validator } from './validator/validator.js';
// The JWT issuer, the JWKS validator and the OIDC server (and jose, which they use) are loaded
// only when enabled: off by default, they would only take memory (docs/all-in-one.md, "Memory").
import type { JwtIssuer } from './jwt/issuer.js';
import type { OidcServer } from './oidc/server.js';

export type SentryDeps = ServiceDeps<SentryOptions>;

/** Inner parts get a little less than the process's 10 s to stop. */
const INNER_SHUTDOWN_TIMEOUT_MS = 8_000;

export class Sentry implements ServicePart {
  readonly name = 'sentry';
  readonly #deps: SentryDeps;
  readonly #metrics: SentryMetrics;
  readonly #kubernetes: boolean;
  readonly #securityTarget: HealthTarget;
  readonly #serverTarget: HealthTarget;
  readonly #validatorTarget: HealthTarget | undefined;
  readonly #oidcTarget: HealthTarget | undefined;

  /** Registers the health targets at once, so /healthz is 503 until every part is ready. */
  constructor(deps: SentryDeps) {
    this.#deps = deps;
    this.#metrics = sentryMetrics(deps.registry);
    this.#kubernetes = deps.options.mode === 'kubernetes';
    this.#securityTarget = deps.targets.addTarget('security-provider');
    this.#serverTarget = deps.targets.addTarget('sentry-server');
    this.#validatorTarget = this.#kubernetes
      ? deps.targets.addTarget('sentry-kubernetes-validator')
      : undefined;
    // The OIDC server runs only when JWTs are issued too (upstream's rule).
    this.#oidcTarget =
      deps.options.oidc.enabled && deps.options.jwt.enabled
        ? deps.targets.addTarget('oidc-server')
        : undefined;
  }

  /**
   * A Signer for SVID providers in this same process (the all-in-one mode): it signs through the
   * CA sentry serves with, without gRPC and without a token, since nothing outside the process
   * reaches it. Fails (the provider retries) until the CA is loaded.
   */
  readonly signer: Signer = async (request) => {
    const service = this.#signService;
    if (service === undefined) throw new Error('the in-process sentry is not signing yet');
    const { options } = this.#deps;
    const response = await service.signInProcess({
      id: request.id,
      namespace: request.namespace,
      trustDomain: request.trustDomain,
      csrPem: request.csrPem,
      controlPlaneTrustDomain: options.trustDomain,
    });
    return { workloadCertificate: response.workloadCertificate };
  };

  #signService: SignService | undefined;

  async run(signal: AbortSignal): Promise<void> {
    const { options, env } = this.#deps;
    const owned =
      this.#kubernetes && this.#deps.kube === undefined
        ? new KubeClient(await loadKubeConnection({ kubeconfig: options.kubeconfig, env }), {
            userAgent: 'dapr-sentry',
          })
        : undefined;
    const kube = this.#kubernetes ? (this.#deps.kube ?? owned) : undefined;
    try {
      const config = kube
        ? await loadKubernetesConfig(kube, options.namespace, options.configName)
        : await loadStandaloneConfig(options.configName, env);
      this.#logConfig(config);
      await this.#runWith(config, kube, signal);
    } finally {
      this.#signService = undefined;
      owned?.close();
    }
  }

  #logConfig(config: LoadedConfig): void {
    const { log } = this.#deps;
    if (!config.found) {
      log.warn(
        `${config.source} not found: using the default mTLS settings (workload TTL 24h, clock skew 15m)`,
      );
    } else {
      log.info(`Using ${config.source}`);
    }
  }

  async #runWith(loaded: LoadedConfig, kube: KubeClient | undefined, signal: AbortSignal): Promise<void> {
    const { options, log } = this.#deps;
    const metrics = this.#metrics;
    const { config } = loaded;
    const choice = chooseValidators(this.#kubernetes, config.tokenValidators);
    // First, so that a stored JWT key that does not check out stops sentry before anything runs.
    const jwt = options.jwt.enabled ? await this.#jwtIssuer(kube, config.allowedClockSkewMs) : undefined;
    const store = this.#store(kube);
    const caLog = logger('dapr.sentry.ca');
    log.info(`Using ${kube ? 'kubernetes secret' : 'local file system'} store for trust bundle storage`);
    caLog.info(
      `Ed25519 signatures through ${ed25519.native === undefined ? `OpenSSL (${ed25519.reason})` : ed25519.reason}`,
    );
    const provider: CaProvider = new CaProvider({
      load: () =>
        loadCa({
          store,
          log: caLog,
          metrics,
          generate: () =>
            generateBundle({
              trustDomain: options.trustDomain,
              controlPlaneNamespace: options.namespace,
              allowedClockSkewMs: config.allowedClockSkewMs,
            }),
        }),
      workloadCertTtlMs: config.workloadCertTtlMs,
      allowedClockSkewMs: config.allowedClockSkewMs,
      sources: this.#changeSources(store, () => provider.fingerprint),
      stored: () => store.currentFingerprint(),
      log: caLog,
      metrics,
    });
    await provider.start();

    const clusterDomain = kube ? await this.#clusterDomain() : options.trustDomain;
    const serving = new ServingCertificate({
      ca: () => provider.current(),
      trustDomain: options.trustDomain,
      namespace: options.namespace,
      health: this.#securityTarget,
      log: logger('dapr.sentry.security'),
      onIssueFailed: () => metrics.serverCertIssueFailed(),
    });
    provider.onReload(() => serving.reissue());
    const validators = await this.#validators(choice.enabled, kube, choice.jwksOptions);
    const service = new SignService({
      validators,
      defaultValidator: choice.defaultValidator,
      ca: () => provider.current(),
      controlPlaneNamespace: options.namespace,
      clusterDomain,
      ...(jwt === undefined ? {} : { jwt }),
    });
    this.#signService = service;
    const server = new SentryServer({
      port: options.port,
      listenAddress: options.listenAddress,
      sign: (request) => service.sign(request),
      identity: serving,
      metrics,
      log: logger('dapr.sentry.server'),
      health: this.#serverTarget,
    });
    const parts: Runner[] = [
      { name: 'ca', run: (s) => provider.run(s) },
      { name: 'security-provider', run: (s) => serving.run(s) },
      { name: 'sentry-server', run: (s) => server.run(s) },
      ...[...validators].map(([id, v]) => ({
        name: `validator-${tokenValidatorName(id)}`,
        run: v.run.bind(v),
      })),
      ...(jwt !== undefined && this.#oidcTarget !== undefined
        ? [{ name: 'oidc-server', run: async (s: AbortSignal) => (await this.#oidcServer(jwt)).run(s) }]
        : []),
    ];
    await runGroup(parts, signal, { shutdownTimeoutMs: INNER_SHUTDOWN_TIMEOUT_MS });
  }

  #store(kube: KubeClient | undefined): CaStore {
    const { options } = this.#deps;
    const keys = bundleKeys(options);
    if (kube) return new KubernetesCaStore({ api: kube, namespace: options.namespace, keys });
    return new FileCaStore({
      paths: credentialPaths(options),
      directory: options.issuerCredentialsPath,
      keys,
    });
  }

  /** Kubernetes: the Secret is polled through the API. Self-hosted: the files' directories are watched. */
  #changeSources(store: CaStore, loaded: () => string): ChangeSource[] {
    const log = logger('dapr.sentry.ca');
    if (this.#kubernetes) {
      return [
        pollForChanges({
          current: () => store.currentFingerprint(),
          loaded,
          delay: abortableDelay,
          what: store.description,
          log,
        }),
      ];
    }
    return [watchDirectories(credentialDirectories(credentialPaths(this.#deps.options)), log)];
  }

  async #clusterDomain(): Promise<string> {
    const { options, log } = this.#deps;
    const found = await clusterDomainFromDns();
    if (found !== undefined) return found;
    log.info(`Could not find the Kubernetes cluster domain in DNS: using ${options.trustDomain}`);
    return options.trustDomain;
  }

  /** The JWT signing key from the CA's store (generated there when missing) and its issuer. */
  async #jwtIssuer(kube: KubeClient | undefined, allowedClockSkewMs: number): Promise<JwtIssuer> {
    const { options } = this.#deps;
    const [{ JwtIssuer }, { FileJwtKeyStore, KubernetesJwtKeyStore, loadOrCreateSigningKey }] =
      await Promise.all([import('./jwt/issuer.js'), import('./jwt/store.js')]);
    const names = { keyFilename: options.jwt.keyFilename, jwksFilename: options.jwt.jwksFilename };
    const store = kube
      ? new KubernetesJwtKeyStore(kube, options.namespace, names)
      : new FileJwtKeyStore(options.issuerCredentialsPath, names);
    const key = await loadOrCreateSigningKey(
      store,
      {
        algorithm: options.jwt.signingAlgorithm,
        ...(options.jwt.keyId === undefined ? {} : { keyId: options.jwt.keyId }),
      },
      logger('dapr.sentry.ca.jwt'),
    );
    this.#deps.log.info('JWT issuing enabled');
    return new JwtIssuer({
      key,
      ...(options.jwt.issuer === undefined ? {} : { issuer: options.jwt.issuer }),
      allowedClockSkewMs,
      ttlMs: options.jwt.ttlMs,
    });
  }

  async #oidcServer(jwt: JwtIssuer): Promise<OidcServer> {
    const { oidc, jwt: jwtOptions } = this.#deps.options;
    const { OidcServer } = await import('./oidc/server.js');
    return new OidcServer({
      port: oidc.port,
      listenAddress: oidc.listenAddress,
      jwksJson: jwt.jwksJson,
      algorithm: jwt.algorithm,
      allowedHosts: oidc.allowedHosts,
      ...(jwtOptions.issuer === undefined ? {} : { issuer: jwtOptions.issuer }),
      ...(oidc.jwksUri === undefined ? {} : { jwksUri: oidc.jwksUri }),
      ...(oidc.pathPrefix === undefined ? {} : { pathPrefix: oidc.pathPrefix }),
      ...(oidc.tlsEnabled && oidc.tlsCertFile !== undefined && oidc.tlsKeyFile !== undefined
        ? { tlsCertFile: oidc.tlsCertFile, tlsKeyFile: oidc.tlsKeyFile }
        : {}),
      ...(this.#oidcTarget === undefined ? {} : { health: this.#oidcTarget }),
      log: logger('dapr.sentry.server.oidc.http'),
    });
  }

  async #validators(
    enabled: readonly number[],
    kube: KubeClient | undefined,
    jwksOptions: unknown,
  ): Promise<Map<number, Validator>> {
    const { options, log } = this.#deps;
    const validators = new Map<number, Validator>();
    for (const id of enabled) {
      if (id === TokenValidator.KUBERNETES && kube !== undefined) {
        const sentryId = sentrySpiffeId(options.trustDomain, options.namespace);
        log.info(`Adding validator 'kubernetes' with Sentry ID: ${sentryId}`);
        const validatorLog = logger('dapr.sentry.identity.kubernetes');
        validators.set(
          id,
          new KubernetesValidator({
            tokenReviewer: tokenReviewer(kube),
            lookup: new PodCache({ api: kube, watches: this.#deps.watches, log: validatorLog }),
            controlPlaneTrustDomain: options.trustDomain,
            controlPlaneNamespace: options.namespace,
            health: this.#validatorTarget,
          }),
        );
      } else if (id === TokenValidator.JWKS) {
        const sentryId = sentrySpiffeId(options.trustDomain, options.namespace);
        log.info(`Adding validator 'jwks' with Sentry ID: ${sentryId}`);
        const { JwksValidator, jwksValidatorOptions } = await import('./validator/jwks/jwks.js');
        validators.set(
          id,
          new JwksValidator({
            options: jwksValidatorOptions(jwksOptions),
            sentryId,
            health: this.#deps.targets.addTarget('sentry-jwks-validator'),
            log: logger('dapr.sentry.identity.jwks'),
          }),
        );
      } else if (id === TokenValidator.INSECURE) {
        log.info("Adding validator 'insecure'");
        validators.set(id, new InsecureValidator());
      }
    }
    return validators;
  }
}
