// The admission decision for one request (docs/contracts/injector-and-chart.md §1.3), in one direction:
// gate → config → patch. The gate's rules (decisions.ts) come in upstream's order: first those
// that need only the request, then, once the sidecar configuration is built, those that need it;
// the patch is built last from the pod and the fully parsed configuration. Pure; the HTTP edge
// turns the result into an AdmissionResponse, logs and counts.
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import {
  appIdIsInvalid,
  callerIsNotAllowed,
  daprIsNotEnabled,
  requestIsNotForAPod,
  sidecarIsAlreadyPresent,
  type CallerPolicy,
  type UserInfo,
} from './decisions.js';
import type { PatchOperation, Pod } from './k8s-types.js';
import { buildPatch } from './patch.js';

/** The failure reason upstream counts in dapr_injector_sidecar_injection_failed_total. */
export const FAILURE_POD_PATCH = 'pod_patch';

/**
 * Which rule kept daprd out of a pod, for the Event that tells the user why (docs/injector.md,
 * "When daprd is missing"): the dapr.io/enabled gate, the caller check, the app-id check, or a
 * failure while building the sidecar configuration.
 */
export type DeclineCause = 'enabled-not-true' | 'caller-not-allowed' | 'app-id-invalid' | 'config-failed';

export type AdmissionDecision =
  /** Allowed without a patch; `failureReason` set when upstream counts it as a failure. */
  | {
      readonly kind: 'allow';
      readonly reason: string;
      readonly failureReason?: string;
      readonly cause?: DeclineCause;
    }
  | { readonly kind: 'patch'; readonly ops: readonly PatchOperation[]; readonly warnings: readonly string[] }
  /** allowed=false with this message: the pod is rejected whatever the failurePolicy. */
  | { readonly kind: 'deny'; readonly message: string; readonly cause?: DeclineCause };

/** What the configured pod gets: a patch, no patch (skip) or a rejection (deny). */
export type PatchOutcome =
  | { readonly kind: 'patch'; readonly ops: readonly PatchOperation[]; readonly warnings: readonly string[] }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'deny'; readonly message: string; readonly cause?: DeclineCause };

export interface AdmissionInput {
  /** request.kind.kind */
  readonly kind: string | undefined;
  readonly pod: Pod;
  readonly user: UserInfo;
  readonly policy: CallerPolicy;
  /** Builds the sidecar configuration; called only when the request passed the gate. */
  readonly config: (pod: Pod) => SidecarConfig;
}

/** §1.3 steps 1–4: the rules that need only the request. */
function requestGate(input: AdmissionInput): AdmissionDecision | undefined {
  const notPod = requestIsNotForAPod(input.kind);
  if (notPod !== undefined) return { kind: 'allow', reason: notPod, failureReason: FAILURE_POD_PATCH };
  const disabled = daprIsNotEnabled(input.pod);
  if (disabled !== undefined) return { kind: 'allow', reason: disabled, cause: 'enabled-not-true' };
  const refused = callerIsNotAllowed(input.user, input.policy);
  if (refused !== undefined)
    return { kind: 'allow', reason: refused, failureReason: FAILURE_POD_PATCH, cause: 'caller-not-allowed' };
  return undefined;
}

/** §1.3 step 5 and the app-id denial: the rules that need the sidecar configuration, in order. */
function configGate(pod: Pod, c: SidecarConfig): PatchOutcome | undefined {
  if (!c.annotations.enabled) return { kind: 'skip', reason: 'dapr.io/enabled is false' };
  const present = sidecarIsAlreadyPresent(pod);
  if (present !== undefined) return { kind: 'skip', reason: present };
  const invalid = appIdIsInvalid(c.appId);
  if (invalid !== undefined) return { kind: 'deny', message: invalid, cause: 'app-id-invalid' };
  return undefined;
}

/** Config → patch: what a pod that passed the request gate gets with this configuration. */
export function patchOutcome(pod: Pod, c: SidecarConfig): PatchOutcome {
  return configGate(pod, c) ?? { kind: 'patch', ...buildPatch(pod, c) };
}

export function admissionDecision(input: AdmissionInput): AdmissionDecision {
  const refused = requestGate(input);
  if (refused !== undefined) return refused;
  const outcome = patchOutcome(input.pod, input.config(input.pod));
  return outcome.kind === 'skip' ? { kind: 'allow', reason: outcome.reason } : outcome;
}
