// Liveness, readiness and startup probes as a kubelet runs them: httpGet and tcpSocket from the
// host (which reaches the pod's address over the bridge), exec inside the container's
// namespaces (nsenter), every periodSeconds after initialDelaySeconds, each attempt bounded by
// timeoutSeconds, and a result that flips only after successThreshold / failureThreshold
// consecutive outcomes.
import type { V1ContainerPort, V1Probe } from '@kubernetes/client-node';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { cmd } from './cmd.js';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeState {
  /** Readiness starts as failure (not ready); liveness and startup as unknown. */
  readonly result: 'success' | 'failure' | 'unknown';
  readonly successes: number;
  readonly failures: number;
  readonly lastMessage?: string;
}

export const initialProbeState = (kind: ProbeKind): ProbeState => ({
  result: kind === 'readiness' ? 'failure' : 'unknown',
  successes: 0,
  failures: 0,
});

/** The state after one attempt (pure). */
export function nextProbeState(state: ProbeState, ok: boolean, probe: V1Probe, message?: string): ProbeState {
  const successThreshold = probe.successThreshold ?? 1;
  const failureThreshold = probe.failureThreshold ?? 3;
  if (ok) {
    const successes = state.successes + 1;
    const result = successes >= successThreshold ? 'success' : state.result;
    return { result, successes, failures: 0, lastMessage: message };
  }
  const failures = state.failures + 1;
  const result = failures >= failureThreshold ? 'failure' : state.result;
  return { result, successes: 0, failures, lastMessage: message };
}

export interface ProbeTarget {
  readonly podIp: string;
  readonly ports: readonly V1ContainerPort[];
  /** For exec probes: the container's main PID and the argv prefix that drops to its user. */
  readonly pid?: number;
  readonly execPrefix?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

function portOf(port: number | string, target: ProbeTarget): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = target.ports.find((x) => x.name === port);
  if (!p) throw new Error(`named port ${port} not found`);
  return p.containerPort;
}

function httpProbe(
  probe: NonNullable<V1Probe['httpGet']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<string> {
  const https = (probe.scheme ?? 'HTTP').toUpperCase() === 'HTTPS';
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.34', accept: '*/*' };
  for (const h of probe.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
  return new Promise((ok, fail) => {
    const req = (https ? httpsRequest : httpRequest)(
      {
        host: probe.host ?? target.podIp,
        port: portOf(probe.port, target),
        path: probe.path ?? '/',
        method: 'GET',
        headers,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) ok(`HTTP ${code}`);
        else fail(new Error(`HTTP probe failed with statuscode: ${code}`));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end();
  });
}

function tcpProbe(
  probe: NonNullable<V1Probe['tcpSocket']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<string> {
  return new Promise((ok, fail) => {
    const sock = connect({ host: probe.host ?? target.podIp, port: portOf(probe.port, target) });
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    sock.on('connect', () => {
      sock.destroy();
      ok('connected');
    });
    sock.on('error', fail);
  });
}

async function execProbe(
  probe: NonNullable<V1Probe['exec']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<string> {
  if (target.pid === undefined) throw new Error('container is not running');
  const argv = [
    '--target',
    String(target.pid),
    '--mount',
    '--uts',
    '--net',
    '--',
    ...(target.execPrefix ?? []),
    ...(probe.command ?? []),
  ];
  const r = await cmd('nsenter', argv, { timeoutMs, env: target.env });
  if (r.code !== 0)
    throw new Error(`exec probe exited ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
  return 'exit 0';
}

/** One probe attempt; resolves with a message on success, rejects on failure. */
export function runProbeOnce(probe: V1Probe, target: ProbeTarget): Promise<string> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet) return httpProbe(probe.httpGet, target, timeoutMs);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket, target, timeoutMs);
  if (probe.exec) return execProbe(probe.exec, target, timeoutMs);
  if (probe.grpc) {
    // No gRPC health client here: a connect to the port stands in for it (documented limitation).
    return tcpProbe({ port: probe.grpc.port }, target, timeoutMs);
  }
  return Promise.reject(new Error('probe has no handler'));
}

/** Runs one probe periodically and reports each state change. */
export class Prober {
  #state: ProbeState;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly kind: ProbeKind,
    readonly probe: V1Probe,
    readonly target: ProbeTarget,
    readonly onChange: (state: ProbeState, prev: ProbeState) => void,
  ) {
    this.#state = initialProbeState(kind);
  }

  get state(): ProbeState {
    return this.#state;
  }

  start(): void {
    this.#schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    let ok = true;
    let message: string;
    try {
      message = await runProbeOnce(this.probe, this.target);
    } catch (err) {
      ok = false;
      message = (err as Error).message;
    }
    if (this.#stopped) return;
    const prev = this.#state;
    this.#state = nextProbeState(prev, ok, this.probe, message);
    if (this.#state.result !== prev.result) this.onChange(this.#state, prev);
    this.#schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
