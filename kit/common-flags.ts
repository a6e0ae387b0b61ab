// The flags every control-plane binary shares: dapr/kit's logger flags, Dapr's metrics flags and
// the healthz port. Same names, kinds and defaults as upstream; the listen-address variants are
// accepted and ignored where upstream ignores them.
import { defineFlags, type FlagValues } from './flags.js';
import type { LogLevel, LoggingOptions } from './logger.js';
import { logLevelRule, portRule, portTextRule } from './options.js';

export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_METRICS_PORT = '9090';
export const DEFAULT_METRICS_LISTEN_ADDRESS = '0.0.0.0';
export const DEFAULT_HEALTHZ_PORT = 8080;
/** --mode of sentry and placement. */
export const DEFAULT_MODE = 'standalone';
/** --trust-domain of sentry and placement (the self-hosted one; the chart passes cluster.local). */
export const DEFAULT_TRUST_DOMAIN = 'localhost';
/** --trust-anchors-file of placement and the operator: where the chart mounts the anchors. */
export const DEFAULT_TRUST_ANCHORS_FILE = '/var/run/secrets/dapr.io/tls/ca.crt';

export const LOGGER_FLAGS = defineFlags({
  'log-level': {
    kind: 'string',
    default: DEFAULT_LOG_LEVEL,
    usage: 'Options are debug, info, warn, error, or fatal',
  },
  'log-as-json': { kind: 'bool', default: false, usage: 'print log as JSON' },
  'log-file': { kind: 'string', default: '', usage: 'Write logs to this file (appended) instead of stdout' },
});

export const METRICS_FLAGS = defineFlags({
  'enable-metrics': { kind: 'bool', default: true, usage: 'Enable prometheus metric' },
  'metrics-port': { kind: 'string', default: DEFAULT_METRICS_PORT, usage: 'The port for the metrics server' },
  'metrics-listen-address': {
    kind: 'string',
    default: DEFAULT_METRICS_LISTEN_ADDRESS,
    usage: 'The address for the metrics server',
    ignored: true,
  },
});

export const HEALTHZ_FLAGS = defineFlags({
  'healthz-port': {
    kind: 'int',
    default: DEFAULT_HEALTHZ_PORT,
    usage: 'The port for the healthz server to listen on',
  },
  'healthz-listen-address': {
    kind: 'string',
    default: '',
    usage: 'The listening address for the healthz server',
    ignored: true,
  },
});

export const COMMON_FLAGS = { ...LOGGER_FLAGS, ...METRICS_FLAGS, ...HEALTHZ_FLAGS };

/** zod rules for the shared flags; spread into each service's schema `.extend({...})`. */
export const COMMON_RULES = {
  'log-level': logLevelRule,
  'metrics-port': portTextRule('metrics-port'),
  'healthz-port': portRule('healthz-port'),
};

export interface MetricsOptions {
  readonly enabled: boolean;
  readonly port: number;
  /** Parsed for compatibility; not used for binding (see MetricsServerOptions.host). */
  readonly listenAddress: string;
}

export interface CommonOptions {
  readonly logging: LoggingOptions;
  readonly metrics: MetricsOptions;
  readonly healthzPort: number;
}

/** The shared flags after validation: the log level is a LogLevel and the metrics port a number. */
export type CommonValues = Omit<FlagValues<typeof COMMON_FLAGS>, 'log-level' | 'metrics-port'> & {
  readonly 'log-level': LogLevel;
  readonly 'metrics-port': number;
};

export function commonOptions(v: CommonValues): CommonOptions {
  return {
    logging: { level: v['log-level'], json: v['log-as-json'], file: v['log-file'] },
    metrics: {
      enabled: v['enable-metrics'],
      port: v['metrics-port'],
      listenAddress: v['metrics-listen-address'],
    },
    healthzPort: v['healthz-port'],
  };
}
