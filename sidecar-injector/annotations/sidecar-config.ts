// One request's sidecar configuration: the pod's annotations (§2) resolved against the
// injector's settings (§3.10) and the per-request facts (namespace, trust anchors, mTLS, the
// injected component containers). Everything the patcher needs, and nothing it has to look up.
import type { Container, Pod, ResourceRequirements } from '../patcher/k8s-types.js';
import { serviceAddress, type InjectorConfig } from './injector-config.js';
import { parseAnnotations } from './parse.js';
import type { AnnotationValues } from './table.js';
import { canonicalQuantity, quantityProblem } from './quantity.js';
import {
  parseEnvFromSecret,
  parseEnvList,
  parseNameList,
  parseVolumeMountList,
  shownValue,
  type KeyValue,
  type MountList,
  type SecretEnv,
} from './values.js';
import { sentrySpiffeId } from '../../kit/security/spiffe.js';

const KEPT_PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs', 'h2c']);

/** Facts that belong to one admission request, not to the pod's annotations. */
export interface RequestFacts {
  /** The AdmissionRequest's namespace (the pod's namespace). */
  readonly namespace: string;
  /** The current trust-anchor PEM, copied into DAPR_TRUST_ANCHORS. */
  readonly trustAnchors: string;
  /** From the daprsystem Configuration: true when enabled, unset, missing or unreadable. */
  readonly mtlsEnabled: boolean;
  /** Containers from Components' dapr.io/component-container (only with inject-pluggable-components). */
  readonly injectedComponents?: readonly Container[];
}

export interface SidecarConfig {
  readonly annotations: AnnotationValues;
  readonly injector: InjectorConfig;
  readonly request: RequestFacts;
  /** dapr.io/app-id, or the pod name when that is empty; may be "" (denied later). */
  readonly appId: string;
  readonly image: string;
  readonly nativeSidecar: boolean;
  /** APP_PROTOCOL for app containers; undefined for protocols that are not injected. */
  readonly appProtocolEnv: string | undefined;
  readonly operatorAddress: string;
  readonly sentryAddress: string;
  readonly placementAddress: string;
  /** `name:address` for --actors-service, used only when placementAddress is empty. */
  readonly actorsServiceArg: string | undefined;
  readonly remindersServiceArg: string | undefined;
  /** undefined: no flag; "" is a real value that disables the scheduler for the pod. */
  readonly schedulerAddress: string | undefined;
  readonly resources: ResourceRequirements | undefined;
  /** dapr.io/pluggable-components split at commas, untrimmed (as upstream). */
  readonly pluggableComponentNames: readonly string[];
  /** Component containers from Components, only when dapr.io/inject-pluggable-components is true. */
  readonly injectedComponents: readonly Container[];
  /** Some pod container is a named component, or containers are injected: daprd gets the socket folder. */
  readonly usesPluggableComponents: boolean;
  readonly componentsSocketsFolder: string;
  readonly sentryTokenAudience: string;
  /** dapr.io/env, parsed. */
  readonly env: readonly KeyValue[];
  /** dapr.io/env-from-secret, parsed. */
  readonly envFromSecret: readonly SecretEnv[];
  /**
   * dapr.io/volume-mounts and -rw, parsed. Their warnings are reported with the patch (upstream
   * reads them only when it patches), so they stay here rather than in the config's warnings.
   */
  readonly volumeMounts: MountList;
  readonly volumeMountsRw: MountList;
}

export interface SidecarConfigResult {
  readonly config: SidecarConfig;
  readonly warnings: readonly string[];
}

/** Lower-cased; app-ssl upgrades http/grpc; "" → http (never https); unknown protocols give undefined. */
export function normaliseAppProtocol(raw: string, appSsl: boolean): string | undefined {
  const protocol = raw.toLowerCase();
  if (protocol === '') return 'http';
  if (appSsl && protocol === 'http') return 'https';
  if (appSsl && protocol === 'grpc') return 'grpcs';
  return KEPT_PROTOCOLS.has(protocol) ? protocol : undefined;
}

function serviceHost(namespace: string, domain: string, service: string): string {
  return `${service}.${namespace}.svc.${domain}`;
}

/**
 * The actors service is settled from the injector's env first; a dapr.io/placement-host-address
 * annotation then replaces the placement address (even with actors off), and wins over
 * --actors-service when non-empty.
 */
function placementAndActors(
  a: AnnotationValues,
  inj: InjectorConfig,
): { placement: string; actors?: string } {
  const ns = inj.controlPlaneNamespace;
  let placement = '';
  let actors: string | undefined;
  if (inj.actorsEnabled) {
    const address = serviceAddress(inj.actorsService, ns, inj.clusterDomain);
    if (inj.actorsServiceName === 'placement') placement = address;
    else actors = `${inj.actorsServiceName}:${address}`;
  }
  if (a.placementHostAddress !== undefined) placement = a.placementHostAddress;
  return actors === undefined ? { placement } : { placement, actors };
}

function remindersArg(inj: InjectorConfig): string | undefined {
  if (inj.remindersServiceName === '') return undefined;
  return `${inj.remindersServiceName}:${serviceAddress(inj.remindersService, inj.controlPlaneNamespace, inj.clusterDomain)}`;
}

function schedulerAddress(a: AnnotationValues, inj: InjectorConfig): string | undefined {
  if (a.schedulerHostAddress !== undefined) return a.schedulerHostAddress;
  if (!inj.schedulerEnabled) return undefined;
  return `${serviceHost(inj.controlPlaneNamespace, inj.clusterDomain, 'dapr-scheduler-server-a')}:443`;
}

/** The four sidecar-*-request/limit annotations in canonical form; one bad value drops them all (§2). */
export function sidecarResources(a: AnnotationValues, warnings: string[]): ResourceRequirements | undefined {
  const wanted = [
    ['requests', 'cpu', a.cpuRequest],
    ['limits', 'cpu', a.cpuLimit],
    ['requests', 'memory', a.memoryRequest],
    ['limits', 'memory', a.memoryLimit],
  ] as const;
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  for (const [group, resource, value] of wanted) {
    if (value === '') continue;
    const canonical = canonicalQuantity(value);
    if (canonical === undefined) {
      warnings.push(
        `invalid ${resource} ${group === 'requests' ? 'request' : 'limit'} "${shownValue(value)}" (${quantityProblem(value) ?? 'not a quantity'}); sidecar resources ignored`,
      );
      return undefined;
    }
    (group === 'requests' ? requests : limits)[resource] = canonical;
  }
  const out: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  if (Object.keys(limits).length > 0) out.limits = limits;
  if (Object.keys(requests).length > 0) out.requests = requests;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** dapr.io/app-id, or the pod's name when that is absent or empty (often "" at admission). */
function resolveAppId(a: AnnotationValues, pod: Pod): string {
  return a.appId || (pod.metadata?.name ?? '');
}

export function sidecarConfig(
  pod: Pod,
  injector: InjectorConfig,
  request: RequestFacts,
): SidecarConfigResult {
  const parsed = parseAnnotations(pod.metadata?.annotations);
  const a = parsed.values;
  const warnings = [...parsed.warnings];
  const ns = injector.controlPlaneNamespace;
  const { placement, actors } = placementAndActors(a, injector);
  const componentNames = parseNameList(a.pluggableComponents);
  const injectedComponents = a.injectPluggableComponents ? (request.injectedComponents ?? []) : [];
  const config: SidecarConfig = {
    annotations: a,
    injector,
    request,
    appId: resolveAppId(a, pod),
    image: a.sidecarImage ?? injector.sidecarImage,
    nativeSidecar: a.enableNativeSidecar ?? injector.nativeSidecarEnabled,
    appProtocolEnv: normaliseAppProtocol(a.appProtocol, a.appSsl),
    operatorAddress: `${serviceHost(ns, injector.clusterDomain, 'dapr-api')}:443`,
    sentryAddress: `${serviceHost(ns, injector.clusterDomain, 'dapr-sentry')}:443`,
    placementAddress: placement,
    actorsServiceArg: actors,
    remindersServiceArg: remindersArg(injector),
    schedulerAddress: schedulerAddress(a, injector),
    resources: sidecarResources(a, warnings),
    pluggableComponentNames: componentNames,
    injectedComponents,
    usesPluggableComponents:
      injectedComponents.length > 0 ||
      (pod.spec?.containers ?? []).some((x) => componentNames.includes(x.name)),
    componentsSocketsFolder:
      a.pluggableComponentsSocketsFolder !== ''
        ? a.pluggableComponentsSocketsFolder
        : injector.componentsSocketsFolder,
    sentryTokenAudience: sentrySpiffeId(injector.controlPlaneTrustDomain, ns),
    env: parseEnvList(a.env),
    envFromSecret: parseEnvFromSecret(a.envFromSecret),
    volumeMounts: parseVolumeMountList(a.volumeMounts),
    volumeMountsRw: parseVolumeMountList(a.volumeMountsRw),
  };
  return { config, warnings };
}
