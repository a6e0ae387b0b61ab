// One container of a pod: its spec, its current and last state, restarts, readiness, and the
// process running it. The pod runtime (pod-runtime.ts) drives it; this module holds the state
// and the pure decisions (restart or not, how long to back off, how an exit is reported).
import type { V1Container } from '@kubernetes/client-node';
import { constants } from 'node:os';
import type { ManagedProcess } from '../../kit/testing/managed-process.js';
import type { Prober } from './probes.js';
import type { ContainerSnapshot, StateSnap, TerminatedSnap } from './status.js';

export interface BackoffPolicy {
  /** Delay before the first restart after a crash; doubles per consecutive crash. */
  readonly initialMs: number;
  readonly maxMs: number;
  /** A container that ran this long without crashing starts over at initialMs. */
  readonly resetAfterMs: number;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** Whether a container that exited with `exitCode` is started again. */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  if (policy === 'Always') return true;
  if (policy === 'OnFailure') return exitCode !== 0;
  return false;
}

/** Back-off before restart number `streak` (1 = first restart after a crash). */
export function backoffDelay(streak: number, b: BackoffPolicy): number {
  if (streak <= 0) return 0;
  return Math.min(b.initialMs * 2 ** (streak - 1), b.maxMs);
}

/** Exit code and signal of a process that exited with `status` (a code, or a signal name). */
export function exitOf(status: number | string): { exitCode: number; signal?: number } {
  if (typeof status === 'number') return { exitCode: status };
  const signo = (constants.signals as Record<string, number>)[status];
  return signo === undefined ? { exitCode: 255 } : { exitCode: 128 + signo, signal: signo };
}

export class ContainerRunner {
  state: StateSnap;
  lastTerminated: TerminatedSnap | undefined;
  restartCount = 0;
  /** Consecutive crashes, for the back-off. */
  crashStreak = 0;
  ready = false;
  started = false;
  done = false;
  pid: number | undefined;
  imageId = '';
  proc: ManagedProcess | undefined;
  probes: Prober[] = [];
  logFile: string | undefined;
  startedAtMs = 0;
  /** Why the agent killed the running process (liveness/startup failure), if it did. */
  killReason: string | undefined;
  /** Resolves when the container has started once (sidecars gate the next init container on it). */
  readonly firstStart: Promise<void>;
  #markStarted!: () => void;

  constructor(
    readonly spec: V1Container,
    readonly kind: 'init' | 'sidecar' | 'regular',
  ) {
    this.state = { waiting: { reason: kind === 'regular' ? 'PodInitializing' : 'ContainerCreating' } };
    this.firstStart = new Promise((ok) => (this.#markStarted = ok));
  }

  get name(): string {
    return this.spec.name;
  }

  markStarted(): void {
    this.started = true;
    this.#markStarted();
  }

  stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  snapshot(): ContainerSnapshot {
    return {
      name: this.spec.name,
      image: this.spec.image ?? '',
      imageId: this.imageId,
      sidecar: this.kind === 'sidecar',
      state: this.state,
      lastTerminated: this.lastTerminated,
      restartCount: this.restartCount,
      ready: this.ready,
      started: this.started,
      pid: this.pid,
      done: this.done,
    };
  }
}
