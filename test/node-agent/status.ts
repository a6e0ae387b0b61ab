// Pod status as a kubelet reports it, computed from the agent's view of the pod's containers:
// phase, conditions (PodReadyToStartContainers, Initialized, ContainersReady, Ready; the
// scheduler's PodScheduled is kept), pod and host IPs and container statuses. Pure.
import type {
  V1ContainerState,
  V1ContainerStateTerminated,
  V1PodCondition,
  V1PodStatus,
} from '@kubernetes/client-node';

export interface TerminatedSnap {
  readonly exitCode: number;
  readonly signal?: number;
  readonly reason: string;
  readonly message?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export type StateSnap =
  | { readonly waiting: { readonly reason: string; readonly message?: string } }
  | { readonly running: { readonly startedAt: string } }
  | { readonly terminated: TerminatedSnap };

export interface ContainerSnapshot {
  readonly name: string;
  readonly image: string;
  readonly imageId: string;
  /** An initContainer with restartPolicy Always (native sidecar). */
  readonly sidecar: boolean;
  readonly state: StateSnap;
  readonly lastTerminated?: TerminatedSnap;
  readonly restartCount: number;
  readonly ready: boolean;
  readonly started: boolean;
  readonly pid?: number;
  /** Terminated and not going to be restarted. */
  readonly done: boolean;
}

export interface PodSnapshot {
  readonly hostIp: string;
  readonly podIp?: string;
  readonly startTime: string;
  readonly sandboxReady: boolean;
  readonly initContainers: readonly ContainerSnapshot[];
  readonly containers: readonly ContainerSnapshot[];
  readonly terminating: boolean;
  /** Names of spec.readinessGates condition types. */
  readonly readinessGates: readonly string[];
}

const isSucceeded = (c: ContainerSnapshot): boolean =>
  'terminated' in c.state && c.state.terminated.exitCode === 0;

/** Pending / Running / Succeeded / Failed, by the kubelet's rules. */
export function podPhase(s: PodSnapshot): V1PodStatus['phase'] {
  const regularInits = s.initContainers.filter((c) => !c.sidecar);
  if (regularInits.some((c) => c.done && !isSucceeded(c))) return 'Failed';
  if (!regularInits.every((c) => c.done && isSucceeded(c))) return 'Pending';
  const cs = s.containers;
  if (cs.length > 0 && cs.every((c) => c.done)) {
    return cs.every(isSucceeded) ? 'Succeeded' : 'Failed';
  }
  const active = cs.some((c) => 'running' in c.state || c.restartCount > 0 || c.done);
  return active ? 'Running' : 'Pending';
}

function state(snap: StateSnap): V1ContainerState {
  if ('waiting' in snap) return { waiting: { reason: snap.waiting.reason, message: snap.waiting.message } };
  if ('running' in snap) return { running: { startedAt: snap.running.startedAt as unknown as Date } };
  return { terminated: terminated(snap.terminated) };
}

function terminated(t: TerminatedSnap): V1ContainerStateTerminated {
  return {
    exitCode: t.exitCode,
    signal: t.signal,
    reason: t.reason,
    message: t.message,
    startedAt: t.startedAt as unknown as Date,
    finishedAt: t.finishedAt as unknown as Date,
    containerID: undefined,
  };
}

function containerStatus(c: ContainerSnapshot): Record<string, unknown> {
  return {
    name: c.name,
    image: c.image,
    imageID: c.imageId,
    ...(c.pid !== undefined ? { containerID: `dapr-ts://${c.pid}` } : {}),
    state: state(c.state),
    lastState: c.lastTerminated ? { terminated: terminated(c.lastTerminated) } : {},
    ready: c.ready,
    restartCount: c.restartCount,
    started: c.started,
  };
}

function condition(
  type: string,
  ok: boolean,
  previous: readonly V1PodCondition[],
  now: string,
  reason?: string,
): V1PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = previous.find((p) => p.type === type);
  const lastTransitionTime =
    prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : (now as unknown as Date);
  return {
    type,
    status,
    lastProbeTime: null as unknown as undefined,
    lastTransitionTime,
    ...(ok || !reason ? {} : { reason }),
  };
}

/** The status to write, given the snapshot and the pod's current status (for times and PodScheduled). */
export function buildPodStatus(
  s: PodSnapshot,
  current: V1PodStatus | undefined,
  now: string,
): Record<string, unknown> {
  const previous = current?.conditions ?? [];
  const inits = s.initContainers;
  const initialized = inits.every((c) => (c.sidecar ? c.started : c.done && isSucceeded(c)));
  const sidecarsReady = inits.filter((c) => c.sidecar).every((c) => c.ready);
  const containersReady =
    !s.terminating &&
    initialized &&
    sidecarsReady &&
    s.containers.length > 0 &&
    s.containers.every((c) => c.ready);
  const gatesOk = s.readinessGates.every((g) => previous.find((p) => p.type === g)?.status === 'True');
  const phase = podPhase(s);
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const notReadyReason = finished ? 'PodCompleted' : 'ContainersNotReady';
  const conditions: V1PodCondition[] = [
    condition('PodReadyToStartContainers', s.sandboxReady, previous, now),
    condition('Initialized', initialized, previous, now, 'ContainersNotInitialized'),
    condition(
      'Ready',
      containersReady && gatesOk,
      previous,
      now,
      gatesOk ? notReadyReason : 'ReadinessGatesNotReady',
    ),
    condition('ContainersReady', containersReady, previous, now, notReadyReason),
  ];
  // Conditions owned by others (PodScheduled, readiness gates, DisruptionTarget) are kept as they are.
  const owned = new Set(conditions.map((c) => c.type));
  for (const p of previous) if (!owned.has(p.type)) conditions.push(p);
  const ips = s.podIp ? { podIP: s.podIp, podIPs: [{ ip: s.podIp }] } : {};
  return {
    phase,
    conditions,
    hostIP: s.hostIp,
    hostIPs: [{ ip: s.hostIp }],
    ...ips,
    startTime: s.startTime,
    ...(inits.length > 0 ? { initContainerStatuses: inits.map(containerStatus) } : {}),
    containerStatuses: s.containers.map(containerStatus),
  };
}
