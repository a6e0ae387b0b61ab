// The admission decision for one request (docs/contracts/injector-and-chart.md §1.3): the rules in upstream's
// order, ending in a patch, a silent allow, or an explicit denial. Pure; the HTTP edge turns the
// result into an AdmissionResponse, logs and counts.
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import {
  callerIsNotAllowed,
  daprIsNotEnabled,
  requestIsNotForAPod,
  type CallerPolicy,
  type UserInfo,
} from './decisions.js';
import type { PatchOperation, Pod } from './k8s-types.js';
import { buildPatch } from './patch.js';

/** The failure reason upstream counts in dapr_injector_sidecar_injection_failed_total. */
export const FAILURE_POD_PATCH = 'pod_patch';

export type AdmissionDecision =
  /** Allowed without a patch; `failureReason` set when upstream counts it as a failure. */
  | { readonly kind: 'allow'; readonly reason: string; readonly failureReason?: string }
  | { readonly kind: 'patch'; readonly ops: readonly PatchOperation[]; readonly warnings: readonly string[] }
  /** allowed=false with this message: the pod is rejected whatever the failurePolicy. */
  | { readonly kind: 'deny'; readonly message: string };

export interface AdmissionInput {
  /** request.kind.kind */
  readonly kind: string | undefined;
  readonly pod: Pod;
  readonly user: UserInfo;
  readonly policy: CallerPolicy;
  /** Builds the sidecar configuration; called only when a patch is wanted. */
  readonly config: (pod: Pod) => SidecarConfig;
}

export function admissionDecision(input: AdmissionInput): AdmissionDecision {
  const notPod = requestIsNotForAPod(input.kind);
  if (notPod !== undefined) return { kind: 'allow', reason: notPod, failureReason: FAILURE_POD_PATCH };
  const disabled = daprIsNotEnabled(input.pod);
  if (disabled !== undefined) return { kind: 'allow', reason: disabled };
  const refused = callerIsNotAllowed(input.user, input.policy);
  if (refused !== undefined) return { kind: 'allow', reason: refused, failureReason: FAILURE_POD_PATCH };
  const outcome = buildPatch(input.pod, input.config(input.pod));
  switch (outcome.kind) {
    case 'skip':
      return { kind: 'allow', reason: outcome.reason };
    case 'deny':
      return outcome;
    case 'patch':
      return outcome;
  }
}
