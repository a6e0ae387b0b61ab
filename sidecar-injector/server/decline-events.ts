// Why a pod that asks for Dapr got no daprd, as a Kubernetes Event (docs/injector.md, "When daprd
// is missing"). Pure: the admission request and its decision in, the Event (or nothing) out. The
// Event goes to the pod's controller (a ReplicaSet, Job, …), since the pod under admission has no
// name yet, and a rejected one never exists; to the pod itself only when it has no controller.
import type { EventRecorder, InvolvedObject } from '../../kit/kubernetes/events.js';
import type { Logger } from '../../kit/logger.js';
import { podEventTarget } from '../../kit/kubernetes/owner.js';
import { DAPR_ANNOTATIONS } from '../../kit/dapr/annotations.js';
import type { AdmissionDecision } from '../patcher/admission.js';
import type { AdmissionRequestFacts } from './admission-review.js';

export const DECLINE_REASONS = {
  'enabled-not-true': 'InvalidDaprEnabledAnnotation',
  'caller-not-allowed': 'DaprInjectionCallerNotAllowed',
  'app-id-invalid': 'InvalidDaprAppId',
  'config-failed': 'DaprSidecarInjectionFailed',
} as const;

/** Values that clearly say "no Dapr": such a pod did not ask for a sidecar, and gets no Event. */
const SAYS_NO = new Set(['', 'false', 'f', '0', 'no', 'n', 'off']);

const ALLOWED_ACCOUNTS_HINT =
  'add "<namespace>:<service account>" to the Helm value dapr_sidecar_injector.allowedServiceAccounts ' +
  "(the injector's ALLOWED_SERVICE_ACCOUNTS), or create the pod through a Deployment, StatefulSet, DaemonSet or Job";

function podLabel(request: AdmissionRequestFacts): string {
  const meta = request.pod.metadata;
  if (meta?.name) return `pod ${meta.name}`;
  if (meta?.generateName) return `pod ${meta.generateName}*`;
  return 'a pod';
}

function enabledNotTrueMessage(pod: string, enabled: string | undefined): string | undefined {
  if (enabled === undefined || SAYS_NO.has(enabled.trim().toLowerCase())) return undefined;
  return (
    `${pod} has ${DAPR_ANNOTATIONS.enabled}: ${JSON.stringify(enabled)} and got no daprd sidecar: the sidecar ` +
    `injector injects only when the value is "true". Set ${DAPR_ANNOTATIONS.enabled}: "true" in the pod template.`
  );
}

function message(request: AdmissionRequestFacts, decision: AdmissionDecision): string | undefined {
  const pod = podLabel(request);
  const enabled = request.pod.metadata?.annotations?.[DAPR_ANNOTATIONS.enabled];
  switch (decision.kind === 'patch' ? undefined : decision.cause) {
    case 'enabled-not-true':
      return enabledNotTrueMessage(pod, enabled);
    case 'caller-not-allowed':
      return (
        `${pod} asks for Dapr but got no daprd sidecar: it was created by ${request.user.username || '(unknown)'}, ` +
        `which is not allowed to create pods with a sidecar. To allow it, ${ALLOWED_ACCOUNTS_HINT}.`
      );
    case 'app-id-invalid':
      return (
        `${pod} was rejected by the Dapr sidecar injector: ${decision.kind === 'deny' ? decision.message : ''}. ` +
        `Fix the ${DAPR_ANNOTATIONS.appId} annotation in the pod template.`
      );
    case 'config-failed':
      return (
        `${pod} was rejected by the Dapr sidecar injector: ${decision.kind === 'deny' ? decision.message : ''}. ` +
        'Check the dapr.io/* annotations and the dapr-sidecar-injector logs.'
      );
    default:
      return undefined;
  }
}

/** Why a pod that asked for Dapr got none: the Event's reason and message, and whom it is about. */
export interface DeclineNotice {
  readonly reason: string;
  readonly message: string;
  /** undefined for a pod with neither a controller nor a name: then it is only logged. */
  readonly object: InvolvedObject | undefined;
}

/** The notice for a declined pod that asked for Dapr, or undefined (nothing to say). */
export function declineNotice(
  request: AdmissionRequestFacts,
  decision: AdmissionDecision,
): DeclineNotice | undefined {
  if (decision.kind === 'patch' || decision.cause === undefined || request.kind !== 'Pod') return undefined;
  const text = message(request, decision);
  if (text === undefined) return undefined;
  return {
    reason: DECLINE_REASONS[decision.cause],
    message: text,
    object: podEventTarget(request.pod.metadata, request.namespace),
  };
}

/** Logs each decline and records it as a Warning Event; never waits (the recorder queues). */
export function declineReporter(
  recorder: Pick<EventRecorder, 'record'>,
  log: Logger,
): (request: AdmissionRequestFacts, decision: AdmissionDecision) => void {
  return (request, decision) => {
    const notice = declineNotice(request, decision);
    if (notice === undefined) return;
    const on =
      notice.object === undefined
        ? ''
        : ` (event on ${notice.object.kind} ${notice.object.namespace}/${notice.object.name})`;
    log.warn(`${notice.reason}${on}: ${notice.message}`);
    if (notice.object !== undefined)
      recorder.record({
        object: notice.object,
        type: 'Warning',
        reason: notice.reason,
        message: notice.message,
      });
  };
}
