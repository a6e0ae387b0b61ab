// The operator's command line (docs/contracts/operator.md §6). Upstream parses it with Go's `flag` package,
// hence the goflag dialect (parsing stops at the first positional). Environment: NAMESPACE,
// ENABLE_WEBHOOKS and the sentry token overrides.
import { z } from 'zod';
import { COMMON_FLAGS, COMMON_RULES, commonOptions, type CommonOptions } from '../kit/common-flags.js';
import { defineFlags } from '../kit/flags.js';
import { ValueError, parseGoDuration } from '../kit/go-values.js';
import { flagsSchema, portRule, resolveOptions, type OptionsOutcome } from '../kit/options.js';
import { DAPR_SYSTEM_CONFIGURATION } from '../kit/dapr/resources.js';
import { DEFAULT_TRUST_ANCHORS_FILE } from '../kit/common-flags.js';

export const DEFAULT_API_PORT = 6500;
export const DEFAULT_WEBHOOK_SERVER_PORT = 19443;
/** A string: `once` and `0` are valid besides durations. */
export const DEFAULT_WATCH_INTERVAL = '0';
export const DEFAULT_MAX_POD_RESTARTS_PER_MINUTE = 20;
export const MIN_WATCH_INTERVAL_MS = 1_000;

export const OPERATOR_FLAGS = defineFlags({
  config: {
    kind: 'string',
    default: DAPR_SYSTEM_CONFIGURATION,
    usage: 'Path to config file, or name of a configuration object',
  },
  'watch-interval': {
    kind: 'string',
    default: DEFAULT_WATCH_INTERVAL,
    usage:
      "Interval for polling pods' state, e.g. '2m'. Set to '0' to disable, or 'once' to only run once at startup",
  },
  'max-pod-restarts-per-minute': {
    kind: 'int',
    default: DEFAULT_MAX_POD_RESTARTS_PER_MINUTE,
    usage: 'Maximum number of pods in an invalid state that can be restarted per minute',
  },
  'disable-leader-election': { kind: 'bool', default: false, usage: 'Disable leader election for operator' },
  'disable-service-reconciler': {
    kind: 'bool',
    default: false,
    usage: 'Disable the Service reconciler for Dapr-enabled Deployments and StatefulSets',
  },
  'watch-namespace': { kind: 'string', default: '', usage: 'Namespace to watch Dapr annotated resources in' },
  'enable-argo-rollout-service-reconciler': {
    kind: 'bool',
    default: false,
    usage: 'Enable the service reconciler for Dapr-enabled Argo Rollouts',
  },
  'watchdog-can-patch-pod-labels': {
    kind: 'bool',
    default: false,
    usage: 'Allow watchdog to patch pod labels to set pods with sidecar present',
  },
  'trust-anchors-file': {
    kind: 'string',
    default: DEFAULT_TRUST_ANCHORS_FILE,
    usage: 'Filepath to the trust anchors for the Dapr control plane',
  },
  port: {
    kind: 'int',
    default: DEFAULT_API_PORT,
    usage: 'The port for the operator API server to listen on',
  },
  'listen-address': {
    kind: 'string',
    default: '',
    usage: 'The listening address for the operator API server',
  },
  'webhook-server-port': {
    kind: 'int',
    default: DEFAULT_WEBHOOK_SERVER_PORT,
    usage: 'The port for the webhook server to listen on',
  },
  'webhook-server-listen-address': {
    kind: 'string',
    default: '',
    usage: 'The listening address for the webhook server',
  },
  'cache-sync-period': {
    kind: 'duration',
    default: 0,
    usage: 'Resync period of the informer caches, e.g. 10h. Zero uses the default (10h)',
  },
  // Registered on Go's global flag set by controller-runtime, so the Go binary accepts it too.
  kubeconfig: { kind: 'string', default: '', usage: 'Path to a kubeconfig. Only required if out-of-cluster' },
  ...COMMON_FLAGS,
});

/** The watchdog setting: off, one pass at startup, or a polling interval. */
export type WatchdogSetting =
  | { readonly kind: 'disabled' }
  | { readonly kind: 'once' }
  | { readonly kind: 'interval'; readonly intervalMs: number };

const WATCHDOG_OFF_WORDS = new Set(['0', 'false', 'f', 'no', 'off']);

/** --watch-interval as upstream reads it; an error message for invalid values. */
export function parseWatchInterval(text: string): WatchdogSetting | string {
  const lower = text.toLowerCase();
  if (WATCHDOG_OFF_WORDS.has(lower)) return { kind: 'disabled' };
  if (lower === 'once') return { kind: 'once' };
  try {
    const ms = parseGoDuration(text);
    if (ms < MIN_WATCH_INTERVAL_MS)
      return "invalid watch-interval value: if not '0' or 'once', must be at least 1s";
    return { kind: 'interval', intervalMs: ms };
  } catch (err) {
    return `invalid value for watch-interval: ${err instanceof ValueError ? err.reason : String(err)}`;
  }
}

export interface OperatorOptions extends CommonOptions {
  readonly configName: string;
  readonly watchdog: WatchdogSetting;
  readonly maxPodRestartsPerMinute: number;
  readonly disableLeaderElection: boolean;
  readonly disableServiceReconciler: boolean;
  /** Empty: all namespaces. */
  readonly watchNamespace: string;
  readonly enableArgoRolloutServiceReconciler: boolean;
  readonly watchdogCanPatchPodLabels: boolean;
  readonly trustAnchorsFile: string;
  readonly apiPort: number;
  readonly apiListenAddress: string;
  readonly webhookServerPort: number;
  readonly webhookServerListenAddress: string;
  /** 0: the informer default. */
  readonly cacheSyncPeriodMs: number;
  readonly kubeconfig: string;
  /** NAMESPACE (the control-plane namespace; upstream falls back to `default`). */
  readonly namespace: string;
  /** ENABLE_WEBHOOKS=false turns off the conversion webhook and the CRD patching. */
  readonly webhooksEnabled: boolean;
  /** DAPR_SENTRY_TOKEN_FILE, if set. */
  readonly sentryTokenFile?: string;
  /** SENTRY_LOCAL_IDENTITY, if set. */
  readonly sentryLocalIdentity?: string;
}

function schema(env: NodeJS.ProcessEnv): z.ZodType<OperatorOptions> {
  return flagsSchema(OPERATOR_FLAGS)
    .extend({
      ...COMMON_RULES,
      'watch-interval': z.string().transform((text, ctx) => {
        const setting = parseWatchInterval(text);
        if (typeof setting !== 'string') return setting;
        ctx.addIssue({ code: 'custom', message: setting });
        return z.NEVER;
      }),
      port: portRule('port'),
      'webhook-server-port': portRule('webhook-server-port'),
    })
    .transform((v): OperatorOptions => ({
      ...commonOptions(v),
      configName: v.config,
      watchdog: v['watch-interval'],
      maxPodRestartsPerMinute: v['max-pod-restarts-per-minute'],
      disableLeaderElection: v['disable-leader-election'],
      disableServiceReconciler: v['disable-service-reconciler'],
      watchNamespace: v['watch-namespace'],
      enableArgoRolloutServiceReconciler: v['enable-argo-rollout-service-reconciler'],
      watchdogCanPatchPodLabels: v['watchdog-can-patch-pod-labels'],
      trustAnchorsFile: v['trust-anchors-file'],
      apiPort: v.port,
      apiListenAddress: v['listen-address'],
      webhookServerPort: v['webhook-server-port'],
      webhookServerListenAddress: v['webhook-server-listen-address'],
      cacheSyncPeriodMs: v['cache-sync-period'],
      kubeconfig: v.kubeconfig,
      namespace: env.NAMESPACE ?? 'default',
      webhooksEnabled: env.ENABLE_WEBHOOKS?.toLowerCase() !== 'false',
      sentryTokenFile: env.DAPR_SENTRY_TOKEN_FILE,
      sentryLocalIdentity: env.SENTRY_LOCAL_IDENTITY,
    }));
}

export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): OptionsOutcome<OperatorOptions> {
  return resolveOptions(
    { program: 'operator', flags: OPERATOR_FLAGS, dialect: 'goflag', schema: () => schema(env) },
    argv,
  );
}
