// Pure decisions of the pod lifecycle: restarts and back-off, probe thresholds, phase and status.
import { describe, expect, it } from '@jest/globals';
import { backoffDelay, exitOf, shouldRestart } from './container.js';
import { initialProbeState, nextProbeState } from './probes.js';
import { buildPodStatus, podPhase, type ContainerSnapshot, type PodSnapshot } from './status.js';

describe('restarts', () => {
  it('follows restartPolicy', () => {
    expect(shouldRestart('Always', 0)).toBe(true);
    expect(shouldRestart('OnFailure', 0)).toBe(false);
    expect(shouldRestart('OnFailure', 2)).toBe(true);
    expect(shouldRestart('Never', 2)).toBe(false);
  });
  it('backs off exponentially up to a cap', () => {
    const b = { initialMs: 1000, maxMs: 10_000, resetAfterMs: 60_000 };
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, b))).toEqual([
      0, 1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });
  it('reports signals as 128 + signo', () => {
    expect(exitOf(3)).toEqual({ exitCode: 3 });
    expect(exitOf('SIGKILL')).toEqual({ exitCode: 137, signal: 9 });
    expect(exitOf('SIGTERM')).toEqual({ exitCode: 143, signal: 15 });
  });
});

describe('probe thresholds', () => {
  it('readiness starts as failure and flips after successThreshold successes', () => {
    const probe = { successThreshold: 2, failureThreshold: 3 };
    let s = initialProbeState('readiness');
    expect(s.result).toBe('failure');
    s = nextProbeState(s, true, probe);
    expect(s.result).toBe('failure');
    s = nextProbeState(s, true, probe);
    expect(s.result).toBe('success');
    s = nextProbeState(s, false, probe);
    s = nextProbeState(s, false, probe);
    expect(s.result).toBe('success');
    s = nextProbeState(s, false, probe, 'HTTP 500');
    expect(s).toMatchObject({ result: 'failure', failures: 3, lastMessage: 'HTTP 500' });
  });
  it('liveness starts unknown', () => {
    expect(initialProbeState('liveness').result).toBe('unknown');
  });
});

const c = (over: Partial<ContainerSnapshot>): ContainerSnapshot => ({
  name: 'c',
  image: 'img',
  imageId: 'dapr-ts-image:///x',
  sidecar: false,
  state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
  restartCount: 0,
  ready: true,
  started: true,
  done: false,
  ...over,
});
const pod = (over: Partial<PodSnapshot>): PodSnapshot => ({
  hostIp: '198.18.1.1',
  podIp: '198.18.1.5',
  startTime: '2026-01-01T00:00:00Z',
  sandboxReady: true,
  initContainers: [],
  containers: [c({})],
  terminating: false,
  readinessGates: [],
  ...over,
});
const term = (exitCode: number): ContainerSnapshot['state'] => ({
  terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: 'a', finishedAt: 'b' },
});

describe('podPhase', () => {
  it.each([
    ['Pending while an init container runs', pod({ initContainers: [c({ name: 'i' })] }), 'Pending'],
    [
      'Failed when an init container failed for good',
      pod({ initContainers: [c({ state: term(1), done: true })] }),
      'Failed',
    ],
    ['Running with a running container', pod({}), 'Running'],
    [
      'Running while restarting',
      pod({ containers: [c({ state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 1 })] }),
      'Running',
    ],
    [
      'Pending while creating',
      pod({ containers: [c({ state: { waiting: { reason: 'ContainerCreating' } } })] }),
      'Pending',
    ],
    ['Succeeded when all exited 0', pod({ containers: [c({ state: term(0), done: true })] }), 'Succeeded'],
    [
      'Failed when one exited non-zero',
      pod({ containers: [c({ state: term(0), done: true }), c({ state: term(2), done: true })] }),
      'Failed',
    ],
    ['Running with a sidecar init still running', pod({ initContainers: [c({ sidecar: true })] }), 'Running'],
  ])('%s', (_what, snap, phase) => expect(podPhase(snap)).toBe(phase));
});

describe('buildPodStatus', () => {
  it('writes conditions, IPs and container statuses, keeping PodScheduled and transition times', () => {
    const previous = [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: 'sched' as unknown as Date },
      { type: 'Ready', status: 'True', lastTransitionTime: 'old' as unknown as Date },
    ];
    const s = buildPodStatus(pod({ containers: [c({ pid: 42 })] }), { conditions: previous }, 'now');
    expect(s).toMatchObject({
      phase: 'Running',
      podIP: '198.18.1.5',
      podIPs: [{ ip: '198.18.1.5' }],
      hostIP: '198.18.1.1',
    });
    const conds = s.conditions as Array<{ type: string; status: string; lastTransitionTime: string }>;
    expect(conds.map((x) => `${x.type}=${x.status}`)).toEqual([
      'PodReadyToStartContainers=True',
      'Initialized=True',
      'Ready=True',
      'ContainersReady=True',
      'PodScheduled=True',
    ]);
    expect(conds.find((x) => x.type === 'Ready')?.lastTransitionTime).toBe('old');
    expect(conds.find((x) => x.type === 'Initialized')?.lastTransitionTime).toBe('now');
    expect((s.containerStatuses as Array<Record<string, unknown>>)[0]).toMatchObject({
      containerID: 'dapr-ts://42',
      ready: true,
      lastState: {},
    });
  });
  it('is not ready while terminating, or when a readiness gate is not True', () => {
    const ready = (snap: PodSnapshot): string | undefined =>
      (buildPodStatus(snap, undefined, 'now').conditions as Array<{ type: string; status: string }>).find(
        (x) => x.type === 'Ready',
      )?.status;
    expect(ready(pod({ terminating: true }))).toBe('False');
    expect(ready(pod({ readinessGates: ['example.com/gate'] }))).toBe('False');
  });
});
