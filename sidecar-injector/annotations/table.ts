// Every dapr.io/* annotation the 1.18.3 injector honours (docs/contracts/injector-and-chart.md §2, 64 keys), in
// one table. The parser, the docs and the tests all read this table; a key that is not here is
// not understood. Field names (the table's keys) are the names used in AnnotationValues.
//
// Kinds, and what an invalid value does:
//  bool      IsTruthy (y, yes, true, t, on, 1 after trim + lower-case); never invalid.
//  bool?     the same, but unset when the annotation is absent.
//  int32     decimal (int64 range); an invalid value logs a warning and keeps the default; a
//            value past int32 keeps its low 32 bits, as Go's reflect.SetInt on an int32 field.
//  int       the same for a 64-bit field.
//  int?      decimal; unset when absent; an invalid value logs a warning and stays unset.
//  string    absent keeps the default; present-but-empty is honoured as "".
//  string?   unset when absent; present (even empty) is kept verbatim.
//  address?  like string?, with surrounding whitespace and quotes trimmed.

export type AnnotationKind = 'bool' | 'bool?' | 'int32' | 'int' | 'int?' | 'string' | 'string?' | 'address?';

export interface AnnotationSpec {
  readonly key: string;
  readonly kind: AnnotationKind;
  /** For bool, int and string kinds: the value used when the annotation is absent (or invalid). */
  readonly default?: boolean | number | string;
  /** Deprecated upstream (still honoured); the text names the replacement. */
  readonly deprecated?: string;
  /** Not read from pods by the injector (documented so the table is complete). */
  readonly notReadByInjector?: string;
  /** One line: where the value ends up. */
  readonly doc: string;
}

const A = <K extends AnnotationKind, D extends boolean | number | string | undefined>(
  key: string,
  kind: K,
  def: D,
  doc: string,
): { key: string; kind: K; default: D; doc: string } => ({ key: `dapr.io/${key}`, kind, default: def, doc });

export const ANNOTATIONS = {
  enabled: A('enabled', 'bool', false, 'gate; the webhook itself wants a case-insensitive "true" (§1.3)'),
  appId: A('app-id', 'string?', undefined, '--app-id and label dapr.io/app-id; falls back to the pod name'),
  appPort: A('app-port', 'int32', 0, '--app-port when > 0'),
  config: A('config', 'string', '', '--config when non-empty'),
  appProtocol: A('app-protocol', 'string', 'http', '--app-protocol (raw) and APP_PROTOCOL (normalised)'),
  appSsl: {
    ...A('app-ssl', 'bool', false, '--app-ssl; turns http into https and grpc into grpcs'),
    deprecated: 'use dapr.io/app-protocol https or grpcs',
  },
  enableProfiling: A('enable-profiling', 'bool', false, '--enable-profiling'),
  logLevel: A('log-level', 'string', 'info', '--log-level'),
  logAsJson: A('log-as-json', 'bool', false, '--log-as-json'),
  apiTokenSecret: A('api-token-secret', 'string', '', 'env DAPR_API_TOKEN from secret <value>, key token'),
  appTokenSecret: A('app-token-secret', 'string', '', 'env APP_API_TOKEN from secret <value>, key token'),
  appMaxConcurrency: A('app-max-concurrency', 'int?', undefined, '--app-max-concurrency'),
  enableMetrics: A(
    'enable-metrics',
    'bool',
    true,
    '--enable-metrics --metrics-port; label dapr.io/metrics-enabled',
  ),
  metricsPort: A('metrics-port', 'int32', 9090, '--metrics-port and container port dapr-metrics'),
  enableDebug: A('enable-debug', 'bool', false, 'daprd runs under /dlv; container port dapr-debug'),
  debugPort: A('debug-port', 'int32', 40000, 'dlv listen port and container port dapr-debug'),
  env: A('env', 'string', '', 'K=V,K2=V2 extra daprd env; keys into DAPR_ENV_KEYS'),
  envFromSecret: A('env-from-secret', 'string', '', 'K=secret or K=secret:key; keys into DAPR_ENV_KEYS'),
  grpcPort: A('grpc-port', 'int32', 50001, '--dapr-grpc-port, port dapr-grpc, DAPR_GRPC_PORT for apps'),
  internalGrpcPort: A('internal-grpc-port', 'int32', 50002, '--dapr-internal-grpc-port, port dapr-internal'),
  cpuRequest: A('sidecar-cpu-request', 'string', '', 'resources.requests.cpu (all-or-nothing)'),
  cpuLimit: A('sidecar-cpu-limit', 'string', '', 'resources.limits.cpu (all-or-nothing)'),
  memoryRequest: A('sidecar-memory-request', 'string', '', 'resources.requests.memory (all-or-nothing)'),
  memoryLimit: A('sidecar-memory-limit', 'string', '', 'resources.limits.memory (all-or-nothing)'),
  listenAddresses: A('sidecar-listen-addresses', 'string', '[::1],127.0.0.1', '--dapr-listen-addresses'),
  livenessDelay: A('sidecar-liveness-probe-delay-seconds', 'int32', 180, 'liveness initialDelaySeconds'),
  livenessTimeout: A('sidecar-liveness-probe-timeout-seconds', 'int32', 3, 'liveness timeoutSeconds'),
  livenessPeriod: A('sidecar-liveness-probe-period-seconds', 'int32', 10, 'liveness periodSeconds'),
  livenessThreshold: A('sidecar-liveness-probe-threshold', 'int32', 5, 'liveness failureThreshold'),
  readinessDelay: A('sidecar-readiness-probe-delay-seconds', 'int32', 1, 'readiness initialDelaySeconds'),
  readinessTimeout: A('sidecar-readiness-probe-timeout-seconds', 'int32', 1, 'readiness timeoutSeconds'),
  readinessPeriod: A('sidecar-readiness-probe-period-seconds', 'int32', 1, 'readiness periodSeconds'),
  readinessThreshold: A('sidecar-readiness-probe-threshold', 'int32', 5, 'readiness failureThreshold'),
  sidecarImage: A(
    'sidecar-image',
    'string?',
    undefined,
    'daprd image; overrides SIDECAR_IMAGE when non-empty',
  ),
  seccompProfileType: A('sidecar-seccomp-profile-type', 'string', '', 'securityContext.seccompProfile.type'),
  httpMaxRequestSize: {
    ...A('http-max-request-size', 'int?', undefined, '--dapr-http-max-request-size'),
    deprecated: 'use dapr.io/max-body-size',
  },
  maxBodySize: A('max-body-size', 'string', '', '--max-body-size when non-empty'),
  httpReadBufferSize: {
    ...A('http-read-buffer-size', 'int?', undefined, '--dapr-http-read-buffer-size'),
    deprecated: 'use dapr.io/read-buffer-size',
  },
  readBufferSize: A('read-buffer-size', 'string', '', '--read-buffer-size when non-empty'),
  gracefulShutdownSeconds: A(
    'graceful-shutdown-seconds',
    'int',
    -1,
    '--dapr-graceful-shutdown-seconds (always)',
  ),
  blockShutdownDuration: A('block-shutdown-duration', 'string?', undefined, '--dapr-block-shutdown-duration'),
  enableApiLogging: A('enable-api-logging', 'bool?', undefined, '--enable-api-logging=<bool> as one token'),
  unixDomainSocketPath: A('unix-domain-socket-path', 'string', '', 'UDS volume; --unix-domain-socket'),
  volumeMounts: A('volume-mounts', 'string', '', 'read-only daprd mounts name:/path,...'),
  volumeMountsRw: A('volume-mounts-rw', 'string', '', 'read-write daprd mounts name:/path,...'),
  disableBuiltinK8sSecretStore: A(
    'disable-builtin-k8s-secret-store',
    'bool',
    false,
    '--disable-builtin-k8s-secret-store',
  ),
  enableAppHealthCheck: A(
    'enable-app-health-check',
    'bool',
    false,
    '--enable-app-health-check and its 8 tokens',
  ),
  appHealthCheckPath: A('app-health-check-path', 'string', '/healthz', '--app-health-check-path'),
  appHealthProbeInterval: A('app-health-probe-interval', 'int32', 5, '--app-health-probe-interval (s)'),
  appHealthProbeTimeout: A('app-health-probe-timeout', 'int32', 500, '--app-health-probe-timeout (ms)'),
  appHealthThreshold: A('app-health-threshold', 'int32', 3, '--app-health-threshold'),
  appBindingOptionsTimeout: A(
    'app-binding-options-timeout',
    'string?',
    undefined,
    '--app-binding-options-timeout',
  ),
  placementHostAddress: A(
    'placement-host-address',
    'address?',
    undefined,
    '--placement-host-address; "" removes it',
  ),
  actorsDisseminateTimeout: A(
    'actors-disseminate-timeout',
    'string?',
    undefined,
    '--actors-disseminate-timeout',
  ),
  schedulerHostAddress: A(
    'scheduler-host-address',
    'address?',
    undefined,
    '--scheduler-host-address (may be "")',
  ),
  pluggableComponents: A(
    'pluggable-components',
    'string',
    '',
    'names of containers that are pluggable components',
  ),
  pluggableComponentsSocketsFolder: A(
    'pluggable-components-sockets-folder',
    'string',
    '',
    'component socket folder',
  ),
  injectPluggableComponents: A(
    'inject-pluggable-components',
    'bool',
    false,
    'inject containers from Components',
  ),
  componentContainer: {
    ...A('component-container', 'string?', undefined, 'JSON container spec'),
    notReadByInjector: 'an annotation on Component resources, read when listing Components',
  },
  appChannelAddress: A('app-channel-address', 'string', '', '--app-channel-address when non-empty'),
  sentryRequestJwtAudiences: A(
    'sentry-request-jwt-audiences',
    'string',
    '',
    '--sentry-request-jwt-audiences',
  ),
  sidecarSvcAnnotations: {
    ...A('sidecar-svc-annotations', 'string?', undefined, 'annotations of the <app-id>-dapr Service'),
    notReadByInjector: 'read by the operator',
  },
  disableInitEndpoints: A('disable-init-endpoints', 'string?', undefined, '--disable-init-endpoints'),
  enableNativeSidecar: A(
    'enable-native-sidecar',
    'bool?',
    undefined,
    'per-pod override of NATIVE_SIDECAR_ENABLED',
  ),
} as const;

export type AnnotationName = keyof typeof ANNOTATIONS;

type ValueOfKind<K extends AnnotationKind> = K extends 'bool'
  ? boolean
  : K extends 'bool?'
    ? boolean | undefined
    : K extends 'int' | 'int32'
      ? number
      : K extends 'int?'
        ? number | undefined
        : K extends 'string'
          ? string
          : string | undefined;

/** The typed result of reading every annotation of the table from one pod. */
export type AnnotationValues = {
  readonly [N in AnnotationName]: ValueOfKind<(typeof ANNOTATIONS)[N]['kind']>;
};
