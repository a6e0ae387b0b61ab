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

import { DAPR_ANNOTATIONS, type DaprAnnotationName } from '../../kit/dapr/annotations.js';
import { DAPRD_PORTS } from '../../kit/dapr/daprd.js';

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
  name: DaprAnnotationName,
  kind: K,
  def: D,
  doc: string,
): { key: string; kind: K; default: D; doc: string } => ({
  key: DAPR_ANNOTATIONS[name],
  kind,
  default: def,
  doc,
});

export const ANNOTATIONS = {
  enabled: A('enabled', 'bool', false, 'gate; the webhook itself wants a case-insensitive "true" (§1.3)'),
  appId: A('appId', 'string?', undefined, '--app-id and label dapr.io/app-id; falls back to the pod name'),
  appPort: A('appPort', 'int32', 0, '--app-port when > 0'),
  config: A('config', 'string', '', '--config when non-empty'),
  appProtocol: A('appProtocol', 'string', 'http', '--app-protocol (raw) and APP_PROTOCOL (normalised)'),
  appSsl: {
    ...A('appSsl', 'bool', false, '--app-ssl; turns http into https and grpc into grpcs'),
    deprecated: 'use dapr.io/app-protocol https or grpcs',
  },
  enableProfiling: A('enableProfiling', 'bool', false, '--enable-profiling'),
  logLevel: A('logLevel', 'string', 'info', '--log-level'),
  logAsJson: A('logAsJson', 'bool', false, '--log-as-json'),
  apiTokenSecret: A('apiTokenSecret', 'string', '', 'env DAPR_API_TOKEN from secret <value>, key token'),
  appTokenSecret: A('appTokenSecret', 'string', '', 'env APP_API_TOKEN from secret <value>, key token'),
  appMaxConcurrency: A('appMaxConcurrency', 'int?', undefined, '--app-max-concurrency'),
  enableMetrics: A(
    'enableMetrics',
    'bool',
    true,
    '--enable-metrics --metrics-port; label dapr.io/metrics-enabled',
  ),
  metricsPort: A(
    'metricsPort',
    'int32',
    DAPRD_PORTS.metrics,
    '--metrics-port and container port dapr-metrics',
  ),
  enableDebug: A('enableDebug', 'bool', false, 'daprd runs under /dlv; container port dapr-debug'),
  debugPort: A('debugPort', 'int32', 40000, 'dlv listen port and container port dapr-debug'),
  env: A('env', 'string', '', 'K=V,K2=V2 extra daprd env; keys into DAPR_ENV_KEYS'),
  envFromSecret: A('envFromSecret', 'string', '', 'K=secret or K=secret:key; keys into DAPR_ENV_KEYS'),
  grpcPort: A(
    'grpcPort',
    'int32',
    DAPRD_PORTS.grpc,
    '--dapr-grpc-port, port dapr-grpc, DAPR_GRPC_PORT for apps',
  ),
  internalGrpcPort: A(
    'internalGrpcPort',
    'int32',
    DAPRD_PORTS.internalGrpc,
    '--dapr-internal-grpc-port, port dapr-internal',
  ),
  cpuRequest: A('cpuRequest', 'string', '', 'resources.requests.cpu (all-or-nothing)'),
  cpuLimit: A('cpuLimit', 'string', '', 'resources.limits.cpu (all-or-nothing)'),
  memoryRequest: A('memoryRequest', 'string', '', 'resources.requests.memory (all-or-nothing)'),
  memoryLimit: A('memoryLimit', 'string', '', 'resources.limits.memory (all-or-nothing)'),
  listenAddresses: A('listenAddresses', 'string', '[::1],127.0.0.1', '--dapr-listen-addresses'),
  livenessDelay: A('livenessDelay', 'int32', 180, 'liveness initialDelaySeconds'),
  livenessTimeout: A('livenessTimeout', 'int32', 3, 'liveness timeoutSeconds'),
  livenessPeriod: A('livenessPeriod', 'int32', 10, 'liveness periodSeconds'),
  livenessThreshold: A('livenessThreshold', 'int32', 5, 'liveness failureThreshold'),
  readinessDelay: A('readinessDelay', 'int32', 1, 'readiness initialDelaySeconds'),
  readinessTimeout: A('readinessTimeout', 'int32', 1, 'readiness timeoutSeconds'),
  readinessPeriod: A('readinessPeriod', 'int32', 1, 'readiness periodSeconds'),
  readinessThreshold: A('readinessThreshold', 'int32', 5, 'readiness failureThreshold'),
  sidecarImage: A(
    'sidecarImage',
    'string?',
    undefined,
    'daprd image; overrides SIDECAR_IMAGE when non-empty',
  ),
  seccompProfileType: A('seccompProfileType', 'string', '', 'securityContext.seccompProfile.type'),
  httpMaxRequestSize: {
    ...A('httpMaxRequestSize', 'int?', undefined, '--dapr-http-max-request-size'),
    deprecated: 'use dapr.io/max-body-size',
  },
  maxBodySize: A('maxBodySize', 'string', '', '--max-body-size when non-empty'),
  httpReadBufferSize: {
    ...A('httpReadBufferSize', 'int?', undefined, '--dapr-http-read-buffer-size'),
    deprecated: 'use dapr.io/read-buffer-size',
  },
  readBufferSize: A('readBufferSize', 'string', '', '--read-buffer-size when non-empty'),
  gracefulShutdownSeconds: A(
    'gracefulShutdownSeconds',
    'int',
    -1,
    '--dapr-graceful-shutdown-seconds (always)',
  ),
  blockShutdownDuration: A('blockShutdownDuration', 'string?', undefined, '--dapr-block-shutdown-duration'),
  enableApiLogging: A('enableApiLogging', 'bool?', undefined, '--enable-api-logging=<bool> as one token'),
  unixDomainSocketPath: A('unixDomainSocketPath', 'string', '', 'UDS volume; --unix-domain-socket'),
  volumeMounts: A('volumeMounts', 'string', '', 'read-only daprd mounts name:/path,...'),
  volumeMountsRw: A('volumeMountsRw', 'string', '', 'read-write daprd mounts name:/path,...'),
  disableBuiltinK8sSecretStore: A(
    'disableBuiltinK8sSecretStore',
    'bool',
    false,
    '--disable-builtin-k8s-secret-store',
  ),
  enableAppHealthCheck: A(
    'enableAppHealthCheck',
    'bool',
    false,
    '--enable-app-health-check and its 8 tokens',
  ),
  appHealthCheckPath: A('appHealthCheckPath', 'string', '/healthz', '--app-health-check-path'),
  appHealthProbeInterval: A('appHealthProbeInterval', 'int32', 5, '--app-health-probe-interval (s)'),
  appHealthProbeTimeout: A('appHealthProbeTimeout', 'int32', 500, '--app-health-probe-timeout (ms)'),
  appHealthThreshold: A('appHealthThreshold', 'int32', 3, '--app-health-threshold'),
  appBindingOptionsTimeout: A(
    'appBindingOptionsTimeout',
    'string?',
    undefined,
    '--app-binding-options-timeout',
  ),
  placementHostAddress: A(
    'placementHostAddress',
    'address?',
    undefined,
    '--placement-host-address; "" removes it',
  ),
  actorsDisseminateTimeout: A(
    'actorsDisseminateTimeout',
    'string?',
    undefined,
    '--actors-disseminate-timeout',
  ),
  schedulerHostAddress: A(
    'schedulerHostAddress',
    'address?',
    undefined,
    '--scheduler-host-address (may be "")',
  ),
  pluggableComponents: A(
    'pluggableComponents',
    'string',
    '',
    'names of containers that are pluggable components',
  ),
  pluggableComponentsSocketsFolder: A(
    'pluggableComponentsSocketsFolder',
    'string',
    '',
    'component socket folder',
  ),
  injectPluggableComponents: A(
    'injectPluggableComponents',
    'bool',
    false,
    'inject containers from Components',
  ),
  componentContainer: {
    ...A('componentContainer', 'string?', undefined, 'JSON container spec'),
    notReadByInjector: 'an annotation on Component resources, read when listing Components',
  },
  appChannelAddress: A('appChannelAddress', 'string', '', '--app-channel-address when non-empty'),
  sentryRequestJwtAudiences: A('sentryRequestJwtAudiences', 'string', '', '--sentry-request-jwt-audiences'),
  sidecarSvcAnnotations: {
    ...A('sidecarSvcAnnotations', 'string?', undefined, 'annotations of the <app-id>-dapr Service'),
    notReadByInjector: 'read by the operator',
  },
  disableInitEndpoints: A('disableInitEndpoints', 'string?', undefined, '--disable-init-endpoints'),
  enableNativeSidecar: A(
    'enableNativeSidecar',
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
