// daprd's command line (docs/contracts/injector-and-chart.md §3.2): fixed flags first, then the conditional
// ones in upstream's order. Every flag and its value are separate tokens, except
// --enable-api-logging=<bool>.
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import { DAPRD_PORTS } from '../../kit/dapr/daprd.js';

export const DAPRD_BINARY = '/daprd';
export const DAPRD_PUBLIC_PORT = 3501;
/** Where daprd creates its sockets inside its own container when UDS is on. */
export const DAPRD_UDS_PATH = '/var/run/dapr-sockets';

type Flags = string[];

function fixedFlags(c: SidecarConfig): Flags {
  const a = c.annotations;
  return [
    '--dapr-http-port',
    String(DAPRD_PORTS.http),
    '--dapr-grpc-port',
    String(a.grpcPort),
    '--dapr-internal-grpc-port',
    String(a.internalGrpcPort),
    '--dapr-listen-addresses',
    a.listenAddresses,
    '--dapr-public-port',
    String(DAPRD_PUBLIC_PORT),
    '--app-id',
    c.appId,
    '--app-protocol',
    a.appProtocol,
    '--log-level',
    a.logLevel,
    '--dapr-graceful-shutdown-seconds',
    String(a.gracefulShutdownSeconds),
    '--mode',
    'kubernetes',
    '--control-plane-address',
    c.operatorAddress,
    '--sentry-address',
    c.sentryAddress,
  ];
}

/** Items 14–22 of §3.2. */
function addressAndAppFlags(c: SidecarConfig): Flags {
  const a = c.annotations;
  const out: Flags = [];
  if (a.appPort > 0) out.push('--app-port', String(a.appPort));
  if (a.enableMetrics) out.push('--enable-metrics', '--metrics-port', String(a.metricsPort));
  if (a.config !== '') out.push('--config', a.config);
  if (a.appChannelAddress !== '') out.push('--app-channel-address', a.appChannelAddress);
  if (c.placementAddress !== '') out.push('--placement-host-address', c.placementAddress);
  else if (c.actorsServiceArg !== undefined) out.push('--actors-service', c.actorsServiceArg);
  if (c.remindersServiceArg !== undefined) out.push('--reminders-service', c.remindersServiceArg);
  if (a.sentryRequestJwtAudiences !== '')
    out.push('--sentry-request-jwt-audiences', a.sentryRequestJwtAudiences);
  if (a.enableApiLogging !== undefined) out.push(`--enable-api-logging=${String(a.enableApiLogging)}`);
  if (a.disableBuiltinK8sSecretStore) out.push('--disable-builtin-k8s-secret-store');
  return out;
}

/** Items 23–29 of §3.2. */
function behaviourFlags(c: SidecarConfig): Flags {
  const a = c.annotations;
  const out: Flags = [];
  if (a.enableAppHealthCheck) {
    out.push(
      '--enable-app-health-check',
      '--app-health-check-path',
      a.appHealthCheckPath,
      '--app-health-probe-interval',
      String(a.appHealthProbeInterval),
      '--app-health-probe-timeout',
      String(a.appHealthProbeTimeout),
      '--app-health-threshold',
      String(a.appHealthThreshold),
    );
  }
  if (a.appBindingOptionsTimeout !== undefined)
    out.push('--app-binding-options-timeout', a.appBindingOptionsTimeout);
  if (a.logAsJson) out.push('--log-as-json');
  if (a.enableProfiling) out.push('--enable-profiling');
  if (c.request.mtlsEnabled) out.push('--enable-mtls');
  if (a.appSsl) out.push('--app-ssl');
  if (a.appMaxConcurrency !== undefined) out.push('--app-max-concurrency', String(a.appMaxConcurrency));
  return out;
}

/** Items 30–38 of §3.2. */
function limitFlags(c: SidecarConfig): Flags {
  const a = c.annotations;
  const out: Flags = [];
  if (a.httpMaxRequestSize !== undefined)
    out.push('--dapr-http-max-request-size', String(a.httpMaxRequestSize));
  if (a.maxBodySize !== '') out.push('--max-body-size', a.maxBodySize);
  if (a.httpReadBufferSize !== undefined)
    out.push('--dapr-http-read-buffer-size', String(a.httpReadBufferSize));
  if (a.readBufferSize !== '') out.push('--read-buffer-size', a.readBufferSize);
  if (a.unixDomainSocketPath !== '') out.push('--unix-domain-socket', DAPRD_UDS_PATH);
  if (a.blockShutdownDuration !== undefined)
    out.push('--dapr-block-shutdown-duration', a.blockShutdownDuration);
  if (a.actorsDisseminateTimeout !== undefined)
    out.push('--actors-disseminate-timeout', a.actorsDisseminateTimeout);
  if (c.schedulerAddress !== undefined) out.push('--scheduler-host-address', c.schedulerAddress);
  if (a.disableInitEndpoints !== undefined) out.push('--disable-init-endpoints', a.disableInitEndpoints);
  return out;
}

/** Everything after the program: the daprd flags of §3.2 items 2–38. */
export function daprdFlags(c: SidecarConfig): string[] {
  return [...fixedFlags(c), ...addressAndAppFlags(c), ...behaviourFlags(c), ...limitFlags(c)];
}

/** The full token list starting with the program: /daprd, or /dlv … exec /daprd -- when debugging. */
export function daprdCommandLine(c: SidecarConfig): string[] {
  const a = c.annotations;
  const program = a.enableDebug
    ? [
        '/dlv',
        '--listen',
        `:${a.debugPort}`,
        '--accept-multiclient',
        '--headless=true',
        '--log',
        '--api-version=2',
        'exec',
        DAPRD_BINARY,
        '--',
      ]
    : [DAPRD_BINARY];
  return [...program, ...daprdFlags(c)];
}
