// The injector's command line (docs/contracts/injector-and-chart.md §1.2) and its environment (§3.10), which
// carries most of its configuration: the chart sets the daprd image, security context and
// control-plane addresses through env vars. Values are kept as given here; turning them into a
// sidecar configuration is the patcher's job.
import { z } from 'zod';
import { COMMON_FLAGS, COMMON_RULES, commonOptions, type CommonOptions } from '../kit/common-flags.js';
import { defineFlags } from '../kit/flags.js';
import { flagsSchema, portRule, resolveOptions, type OptionsOutcome } from '../kit/options.js';
import { join } from 'node:path';
import { DEFAULT_CONTROL_PLANE_TRUST_DOMAIN } from '../kit/dapr/control-plane.js';

export const DEFAULT_INJECTOR_PORT = 4000;
export const DEFAULT_SIDECAR_IMAGE_PULL_POLICY = 'Always';
/** The binary's default; the chart sets /var/run/secrets/dapr.io/tls/ca.crt. */
export const DEFAULT_TRUST_ANCHORS_FILE = '/var/run/dapr.io/tls/ca.crt';

const INJECTOR_FLAGS = defineFlags({
  port: { kind: 'int', default: DEFAULT_INJECTOR_PORT, usage: 'The port used for the injector service' },
  'listen-address': {
    kind: 'string',
    default: '',
    usage: 'The listen address for the injector service (ignored: it listens on all interfaces)',
    ignored: true,
  },
  'scheduler-enabled': {
    kind: 'bool',
    default: true,
    usage: 'Marks if scheduler is enabled in the cluster, and address should be patched on sidecars.',
  },
  kubeconfig: { kind: 'string', default: '', usage: 'absolute path to the kubeconfig file' }, // see injectorFlags
  ...COMMON_FLAGS,
});

export type InjectorFlags = typeof INJECTOR_FLAGS;

/** --kubeconfig defaults to ~/.kube/config when HOME is known, as upstream. */
export function injectorFlags(env: NodeJS.ProcessEnv): InjectorFlags {
  const home = env.HOME ?? '';
  if (home === '') return INJECTOR_FLAGS;
  return {
    ...INJECTOR_FLAGS,
    kubeconfig: { ...INJECTOR_FLAGS.kubeconfig, default: join(home, '.kube', 'config') },
  };
}

/** The injector's environment, raw (§3.10). Required: SIDECAR_IMAGE and NAMESPACE. */
export interface InjectorEnv {
  readonly sidecarImage: string;
  readonly sidecarImagePullPolicy: string;
  /** The control-plane namespace. */
  readonly namespace: string;
  readonly kubeClusterDomain: string;
  readonly allowedServiceAccounts: string;
  /** Deprecated upstream; still honoured (same globs). */
  readonly allowedServiceAccountsPrefixNames: string;
  readonly ignoreEntrypointTolerations: string;
  readonly actorsEnabled: string;
  readonly actorsServiceName: string;
  readonly actorsServiceAddress: string;
  readonly remindersServiceName: string;
  readonly remindersServiceAddress: string;
  readonly runAsNonRoot: string;
  readonly runAsUser: string;
  readonly runAsGroup: string;
  readonly readOnlyRootFilesystem: string;
  readonly dropAllCapabilities: string;
  readonly enableK8sDownwardApis: string;
  readonly nativeSidecarEnabled: string;
  readonly trustAnchorsFile: string;
  readonly controlPlaneTrustDomain: string;
  readonly sentryAddress: string;
}

const REQUIRED_ENV = ['SIDECAR_IMAGE', 'NAMESPACE'] as const;

/** Names of required variables that are absent (present-but-empty passes, as with envconfig). */
export function missingRequiredEnv(env: NodeJS.ProcessEnv): string[] {
  return REQUIRED_ENV.filter((name) => env[name] === undefined);
}

export function readInjectorEnv(env: NodeJS.ProcessEnv): InjectorEnv {
  const get = (name: string, fallback = ''): string => env[name] ?? fallback;
  return {
    sidecarImage: get('SIDECAR_IMAGE'),
    sidecarImagePullPolicy: get('SIDECAR_IMAGE_PULL_POLICY', DEFAULT_SIDECAR_IMAGE_PULL_POLICY),
    namespace: get('NAMESPACE'),
    kubeClusterDomain: get('KUBE_CLUSTER_DOMAIN'),
    allowedServiceAccounts: get('ALLOWED_SERVICE_ACCOUNTS'),
    allowedServiceAccountsPrefixNames: get('ALLOWED_SERVICE_ACCOUNTS_PREFIX_NAMES'),
    ignoreEntrypointTolerations: get('IGNORE_ENTRYPOINT_TOLERATIONS'),
    actorsEnabled: get('ACTORS_ENABLED'),
    actorsServiceName: get('ACTORS_SERVICE_NAME'),
    actorsServiceAddress: get('ACTORS_SERVICE_ADDRESS'),
    remindersServiceName: get('REMINDERS_SERVICE_NAME'),
    remindersServiceAddress: get('REMINDERS_SERVICE_ADDRESS'),
    runAsNonRoot: get('SIDECAR_RUN_AS_NON_ROOT'),
    runAsUser: get('SIDECAR_RUN_AS_USER'),
    runAsGroup: get('SIDECAR_RUN_AS_GROUP'),
    readOnlyRootFilesystem: get('SIDECAR_READ_ONLY_ROOT_FILESYSTEM'),
    dropAllCapabilities: get('SIDECAR_DROP_ALL_CAPABILITIES'),
    enableK8sDownwardApis: get('ENABLE_K8S_DOWNWARD_APIS'),
    nativeSidecarEnabled: get('NATIVE_SIDECAR_ENABLED'),
    trustAnchorsFile: get('DAPR_TRUST_ANCHORS_FILE', DEFAULT_TRUST_ANCHORS_FILE),
    controlPlaneTrustDomain: get('DAPR_CONTROL_PLANE_TRUST_DOMAIN', DEFAULT_CONTROL_PLANE_TRUST_DOMAIN),
    sentryAddress: get('DAPR_SENTRY_ADDRESS'),
  };
}

export interface InjectorOptions extends CommonOptions {
  /** The webhook's TLS port (--port); --listen-address is ignored as upstream. */
  readonly port: number;
  readonly schedulerEnabled: boolean;
  readonly kubeconfig: string;
  readonly env: InjectorEnv;
}

function schema(env: NodeJS.ProcessEnv): z.ZodType<InjectorOptions> {
  return flagsSchema(injectorFlags(env))
    .extend({ ...COMMON_RULES, port: portRule('port') })
    .superRefine((_v, ctx) => {
      for (const name of missingRequiredEnv(env)) {
        ctx.addIssue({ code: 'custom', message: `required environment variable ${name} is not set` });
      }
    })
    .transform((v): InjectorOptions => ({
      ...commonOptions(v),
      port: v.port,
      schedulerEnabled: v['scheduler-enabled'],
      kubeconfig: v.kubeconfig,
      env: readInjectorEnv(env),
    }));
}

export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): OptionsOutcome<InjectorOptions> {
  return resolveOptions({ program: 'injector', flags: injectorFlags(env), schema: () => schema(env) }, argv);
}
