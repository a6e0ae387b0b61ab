// One admission request → its decision, from in-memory state only: the injector's settings,
// the allowed callers, and the per-request facts the caches hold (trust anchors, the daprsystem
// mTLS setting, Components' containers). Nothing here waits on the network, so admission
// latency is the patcher's CPU time.
import type { InjectorConfig } from '../annotations/injector-config.js';
import { ANNOTATIONS } from '../annotations/table.js';
import { sidecarConfig } from '../annotations/sidecar-config.js';
import { isTruthy } from '../../kit/go-values.js';
import { admissionDecision, type AdmissionDecision } from '../patcher/admission.js';
import type { CallerPolicy } from '../patcher/decisions.js';
import type { Container, Pod } from '../patcher/k8s-types.js';
import type { AdmissionRequestFacts } from './admission-review.js';
import type { Mutation, Mutator } from './webhook-handler.js';

export interface MutatorState {
  readonly injector: InjectorConfig;
  readonly policy: CallerPolicy;
  /** The current trust-anchor PEM (DAPR_TRUST_ANCHORS). */
  trustAnchors(): string;
  mtlsEnabled(): boolean;
  /** Throws when the Components are not known (not listed yet): the pod is then denied, as upstream denies it when its List fails. */
  componentContainers(namespace: string, appId: string): Container[];
}

/** The app-id upstream uses in logs and metric labels: the annotation, else the pod's name. */
export function diagnosticAppId(pod: Pod): string {
  return pod.metadata?.annotations?.[ANNOTATIONS.appId.key] || (pod.metadata?.name ?? '');
}

/** A failure while building the configuration denies the pod with the reason (upstream's behaviour). */
function decideOrDeny(decide: () => AdmissionDecision): AdmissionDecision {
  try {
    return decide();
  } catch (err) {
    return {
      kind: 'deny',
      message: err instanceof Error ? err.message : String(err),
      cause: 'config-failed',
    };
  }
}

export function mutator(state: MutatorState): Mutator {
  return (request: AdmissionRequestFacts): Mutation => {
    const warnings: string[] = [];
    const appId = diagnosticAppId(request.pod);
    const decision = decideOrDeny(() =>
      admissionDecision({
        kind: request.kind,
        pod: request.pod,
        user: request.user,
        policy: state.policy,
        config: (pod) => {
          // Only looked up when the pod asks for it (the annotation is parsed again, with IsTruthy, inside).
          const wantsComponents = isTruthy(
            pod.metadata?.annotations?.[ANNOTATIONS.injectPluggableComponents.key] ?? '',
          );
          const result = sidecarConfig(pod, state.injector, {
            namespace: request.namespace,
            trustAnchors: state.trustAnchors(),
            mtlsEnabled: state.mtlsEnabled(),
            injectedComponents: wantsComponents ? state.componentContainers(request.namespace, appId) : [],
          });
          warnings.push(...result.warnings);
          return result.config;
        },
      }),
    );
    if (decision.kind === 'patch') warnings.push(...decision.warnings);
    return { decision, appId, warnings };
  };
}
