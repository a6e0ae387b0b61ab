// The injector's environment (docs/contracts/injector-and-chart.md §3.10), turned from raw strings into the
// typed settings the patcher uses. Pure: the caller reads process.env and /etc/resolv.conf.
import type { Toleration } from '../patcher/k8s-types.js';
import type { InjectorEnv } from '../options.js';
import { isTruthy } from '../../kit/go-values.js';
import { parseDecimal } from './values.js';

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';
export const DEFAULT_COMPONENTS_SOCKETS_FOLDER = '/tmp/dapr-components-sockets';
const PULL_POLICIES = new Set(['Always', 'Never', 'IfNotPresent']);

/** A control-plane Service in the control-plane namespace, e.g. dapr-placement-server:50005. */
export interface ServiceAddress {
  readonly service: string;
  readonly port: number;
}

export const PLACEMENT_SERVICE: ServiceAddress = { service: 'dapr-placement-server', port: 50005 };
/** What Go holds for an unparsed service (REMINDERS_SERVICE_NAME=default): an empty name and port 0. */
const ZERO_SERVICE: ServiceAddress = { service: '', port: 0 };

/** `<service>.<ns>.svc.<domain>:<port>` (§3.9). */
export function serviceAddress(svc: ServiceAddress, namespace: string, clusterDomain: string): string {
  return `${svc.service}.${namespace}.svc.${clusterDomain}:${svc.port}`;
}

/** `name:port` with a non-empty name and a positive port, cut at the first ":". */
export function parseServiceAddress(text: string): ServiceAddress | undefined {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return undefined;
  const port = parseDecimal(text.slice(colon + 1));
  if (port === undefined || port <= 0) return undefined;
  return { service: text.slice(0, colon), port };
}

export interface InjectorConfig {
  readonly sidecarImage: string;
  readonly pullPolicy: string;
  /** NAMESPACE: where the control plane runs. */
  readonly controlPlaneNamespace: string;
  readonly controlPlaneTrustDomain: string;
  readonly clusterDomain: string;
  readonly actorsEnabled: boolean;
  /** ACTORS_SERVICE_NAME; "placement" when empty. */
  readonly actorsServiceName: string;
  /** The placement Service when the name was empty, else ACTORS_SERVICE_ADDRESS. */
  readonly actorsService: ServiceAddress;
  /** REMINDERS_SERVICE_NAME; "" for none. */
  readonly remindersServiceName: string;
  /** REMINDERS_SERVICE_ADDRESS; the zero service for the name "default" (upstream prints it as is). */
  readonly remindersService: ServiceAddress;
  readonly runAsNonRoot: boolean;
  readonly runAsUser: number | undefined;
  readonly runAsGroup: number | undefined;
  readonly readOnlyRootFilesystem: boolean;
  readonly dropAllCapabilities: boolean;
  readonly enableK8sDownwardApis: boolean;
  readonly nativeSidecarEnabled: boolean;
  readonly ignoreEntrypointTolerations: readonly Toleration[];
  /** --scheduler-enabled of the injector. */
  readonly schedulerEnabled: boolean;
  readonly componentsSocketsFolder: string;
  /** The injector itself has a projected Sentry token, so daprd gets one too (always, with the chart). */
  readonly mountSentryToken: boolean;
}

export interface InjectorConfigInputs {
  readonly env: InjectorEnv;
  readonly schedulerEnabled: boolean;
  /** The injector's own DAPR_COMPONENT_SOCKETS_FOLDER, if set. */
  readonly componentsSocketsFolder?: string;
  /** Used when KUBE_CLUSTER_DOMAIN is empty; see clusterDomainFromResolvConf. */
  readonly detectedClusterDomain?: string;
  readonly mountSentryToken?: boolean;
}

export interface InjectorConfigResult {
  readonly config: InjectorConfig;
  readonly warnings: readonly string[];
  /** Problems that stop the injector from starting (bad service addresses, run-as ids). */
  readonly errors: readonly string[];
}

/** Empty means true; otherwise IsTruthy. */
function truthyUnlessEmpty(value: string): boolean {
  return value === '' ? true : isTruthy(value);
}

function optionalId(name: string, value: string, errors: string[]): number | undefined {
  if (value === '') return undefined;
  const n = parseDecimal(value);
  if (n === undefined) errors.push(`failed to parse ${name} "${value}": not an integer`);
  return n;
}

function actorsService(env: InjectorEnv, errors: string[]): { name: string; service: ServiceAddress } {
  if (env.actorsServiceName === '') return { name: 'placement', service: PLACEMENT_SERVICE };
  const service = parseServiceAddress(env.actorsServiceAddress);
  if (service === undefined)
    errors.push(`invalid ACTORS_SERVICE_ADDRESS "${env.actorsServiceAddress}": want <name>:<port>`);
  return { name: env.actorsServiceName, service: service ?? ZERO_SERVICE };
}

function remindersService(env: InjectorEnv, errors: string[]): ServiceAddress {
  const name = env.remindersServiceName;
  if (name === '' || name === 'default') return ZERO_SERVICE;
  const service = parseServiceAddress(env.remindersServiceAddress);
  if (service === undefined) {
    errors.push(`invalid REMINDERS_SERVICE_ADDRESS "${env.remindersServiceAddress}": want <name>:<port>`);
  }
  return service ?? ZERO_SERVICE;
}

/** IGNORE_ENTRYPOINT_TOLERATIONS: a JSON array; anything else only warns. */
export function parseTolerations(text: string, warnings: string[]): Toleration[] {
  if (text.trim() === '') return [];
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed))
      return parsed.filter((t): t is Toleration => typeof t === 'object' && t !== null);
  } catch {
    // fall through to the warning
  }
  warnings.push('IGNORE_ENTRYPOINT_TOLERATIONS is not a JSON array of tolerations; ignored');
  return [];
}

/** The first of the sorted search domains of resolv.conf, else cluster.local (§3.9). */
export function clusterDomainFromResolvConf(text: string): string {
  const domains: string[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'search') domains.push(...fields.slice(1));
  }
  domains.sort();
  return domains[0] ?? DEFAULT_CLUSTER_DOMAIN;
}

export function injectorConfig(inputs: InjectorConfigInputs): InjectorConfigResult {
  const { env } = inputs;
  const warnings: string[] = [];
  const errors: string[] = [];
  const actors = actorsService(env, errors);
  const config: InjectorConfig = {
    sidecarImage: env.sidecarImage,
    pullPolicy: PULL_POLICIES.has(env.sidecarImagePullPolicy) ? env.sidecarImagePullPolicy : 'IfNotPresent',
    controlPlaneNamespace: env.namespace,
    controlPlaneTrustDomain: env.controlPlaneTrustDomain,
    clusterDomain:
      env.kubeClusterDomain !== ''
        ? env.kubeClusterDomain
        : (inputs.detectedClusterDomain ?? DEFAULT_CLUSTER_DOMAIN),
    actorsEnabled: truthyUnlessEmpty(env.actorsEnabled),
    actorsServiceName: actors.name,
    actorsService: actors.service,
    remindersServiceName: env.remindersServiceName,
    remindersService: remindersService(env, errors),
    runAsNonRoot: truthyUnlessEmpty(env.runAsNonRoot),
    runAsUser: optionalId('SIDECAR_RUN_AS_USER', env.runAsUser, errors),
    runAsGroup: optionalId('SIDECAR_RUN_AS_GROUP', env.runAsGroup, errors),
    readOnlyRootFilesystem: truthyUnlessEmpty(env.readOnlyRootFilesystem),
    dropAllCapabilities: isTruthy(env.dropAllCapabilities),
    enableK8sDownwardApis: isTruthy(env.enableK8sDownwardApis),
    nativeSidecarEnabled: isTruthy(env.nativeSidecarEnabled),
    ignoreEntrypointTolerations: parseTolerations(env.ignoreEntrypointTolerations, warnings),
    schedulerEnabled: inputs.schedulerEnabled,
    componentsSocketsFolder:
      inputs.componentsSocketsFolder !== undefined && inputs.componentsSocketsFolder !== ''
        ? inputs.componentsSocketsFolder
        : DEFAULT_COMPONENTS_SOCKETS_FOLDER,
    mountSentryToken: inputs.mountSentryToken ?? true,
  };
  return { config, warnings, errors };
}
