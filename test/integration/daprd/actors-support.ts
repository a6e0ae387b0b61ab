// What the actor-placement test (actors.test.ts) needs around the real daprd: the workload's
// manifests, daprd's actor and metadata HTTP APIs, the test app's activation lists, daprd's log
// timestamps, and the owner of each actor id as placement's hash ring says daprd computes it.
import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import { HashRing } from '../../../placement/hashing/testing/go-ring.js';
import { DEFAULT_REPLICATION_FACTOR } from '../../../placement/options.js';
import type { TestEnvironment } from '../../harness/environment.js';

export const NAMESPACE = 'default';
export const APP_ID = 'counter';
export const ACTOR_TYPE = 'Counter';
const APP_PORT = 3000;
const DAPR_HTTP_PORT = 3500;
/** daprd's internal gRPC port (the injector's default): with the pod IP, its name in placement tables. */
export const DAPR_INTERNAL_PORT = 50002;

/** The actor state store on the test's Redis and the actor host Deployment (three pods). */
export function counterManifests(redisAddress: string, redisPassword: string, replicas: number): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: actorstore
  namespace: ${NAMESPACE}
spec:
  type: state.redis
  version: v1
  metadata:
    - name: redisHost
      value: ${JSON.stringify(redisAddress)}
    - name: redisPassword
      value: ${JSON.stringify(redisPassword)}
    - name: actorStateStore
      value: "true"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${APP_ID}
  namespace: ${NAMESPACE}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${APP_ID} }
  template:
    metadata:
      labels: { app: ${APP_ID} }
      annotations:
        dapr.io/enabled: "true"
        dapr.io/app-id: ${APP_ID}
        dapr.io/app-port: "${APP_PORT}"
        dapr.io/sidecar-listen-addresses: "0.0.0.0"
    spec:
      securityContext: { runAsNonRoot: true, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: app
          image: dapr-ts/test-app:actors
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: [ALL] } }
          env:
            - name: APP_PORT
              value: "${APP_PORT}"
            - name: POD_NAME
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
            - name: POD_IP
              valueFrom: { fieldRef: { fieldPath: status.podIP } }
          ports:
            - containerPort: ${APP_PORT}
`;
}

/** One actor host: the pod, and the address both its app and its daprd listen on. */
export interface ActorHost {
  readonly pod: string;
  readonly ip: string;
}

/** The workload's pods that run and are not being deleted, with their IPs. */
export async function runningHosts(env: TestEnvironment): Promise<ActorHost[]> {
  const pods = await env.agent.client.get<V1PodList>(
    `/api/v1/namespaces/${NAMESPACE}/pods?labelSelector=app%3D${APP_ID}`,
  );
  return pods.items
    .filter((p: V1Pod) => p.metadata?.deletionTimestamp === undefined && p.status?.phase === 'Running')
    .flatMap((p) => (p.status?.podIP === undefined ? [] : [{ pod: p.metadata!.name!, ip: p.status.podIP }]));
}

/** daprd's `actorRuntime` from its metadata API (`GET /v1.0/metadata`). */
export interface ActorRuntimeStatus {
  readonly runtimeStatus?: string;
  readonly hostReady?: boolean;
  readonly placement?: string;
  readonly activeActors?: ReadonlyArray<{ readonly type: string; readonly count: number }>;
}

export async function actorRuntime(host: ActorHost): Promise<ActorRuntimeStatus> {
  const r = await fetch(`http://${host.ip}:${DAPR_HTTP_PORT}/v1.0/metadata`, {
    signal: AbortSignal.timeout(3_000),
  });
  if (!r.ok) throw new Error(`metadata of ${host.pod}: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { actorRuntime?: ActorRuntimeStatus }).actorRuntime ?? {};
}

/** Whether a daprd has a placement table and may host actors ("placement: connected", host ready). */
export async function placementReady(host: ActorHost): Promise<boolean> {
  const rt = await actorRuntime(host);
  return rt.placement === 'placement: connected' && rt.hostReady === true;
}

export interface ActorCall {
  readonly id: string;
  readonly via: string;
  readonly start: number;
  readonly end: number;
  readonly ok: boolean;
  /** The pod whose app served the call (from the app's answer). */
  readonly servedBy?: string;
  readonly error?: string;
}

/** Calls `Counter/<id>/method/inc` through the daprd of `via`. */
export async function callActor(via: ActorHost, id: string, timeoutMs = 30_000): Promise<ActorCall> {
  const start = Date.now();
  const url = `http://${via.ip}:${DAPR_HTTP_PORT}/v1.0/actors/${ACTOR_TYPE}/${encodeURIComponent(id)}/method/inc`;
  try {
    const r = await fetch(url, { method: 'PUT', signal: AbortSignal.timeout(timeoutMs) });
    const body = await r.text();
    const end = Date.now();
    if (!r.ok) return { id, via: via.pod, start, end, ok: false, error: `${r.status} ${body}` };
    const servedBy = (JSON.parse(body) as { pod?: string }).pod;
    return { id, via: via.pod, start, end, ok: true, servedBy };
  } catch (err) {
    return { id, via: via.pod, start, end: Date.now(), ok: false, error: (err as Error).message };
  }
}

/** Calls every id, id i through hosts[i % n], `concurrency` at a time. */
export async function callAll(
  hosts: readonly ActorHost[],
  ids: readonly string[],
  concurrency = 24,
): Promise<ActorCall[]> {
  const results: ActorCall[] = new Array<ActorCall>(ids.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const i = next++;
      results[i] = await callActor(hosts[i % hosts.length]!, ids[i]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** What the test app says about itself: the actor ids active on it, and counters. */
export interface Activations {
  readonly pod: string;
  readonly ip: string;
  readonly active: string[];
  readonly activations: number;
  readonly deactivations: number;
  readonly calls: number;
}

export async function activations(host: ActorHost): Promise<Activations> {
  const r = await fetch(`http://${host.ip}:${APP_PORT}/activations`, { signal: AbortSignal.timeout(3_000) });
  if (!r.ok) throw new Error(`activations of ${host.pod}: ${r.status}`);
  return (await r.json()) as Activations;
}

/** For each id, the hosts it is active on (only ids active somewhere). */
export function activeOn(lists: readonly Activations[]): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const l of lists) for (const id of l.active) where.set(id, [...(where.get(id) ?? []), l.pod]);
  return where;
}

/**
 * The pod each id belongs to by the hash ring daprd builds from a table with these hosts
 * (docs/contracts/placement.md §2.1; one ring per actor type, here the only one).
 */
export function ringOwners(hosts: readonly ActorHost[], ids: readonly string[]): Map<string, string> {
  const byName = new Map<string, string>(hosts.map((h) => [`${h.ip}:${DAPR_INTERNAL_PORT}`, h.pod]));
  const ring = HashRing.fromHosts(byName.keys(), DEFAULT_REPLICATION_FACTOR);
  return new Map(ids.map((id) => [id, byName.get(ring.lookup(id).host)!] as const));
}

/** One line of daprd's log (text or JSON format) with its timestamp in ms. */
export interface LogLine {
  readonly at: number;
  readonly line: string;
}

const TEXT_TIME = /time="([^"]+)"/;
const JSON_TIME = /"time":"([^"]+)"/;

export function daprdLog(env: TestEnvironment, pod: string): LogLine[] {
  let text: string;
  try {
    text = env.logs(NAMESPACE, pod, 'daprd');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((line) => {
    const t = (TEXT_TIME.exec(line) ?? JSON_TIME.exec(line))?.[1];
    const at = t === undefined ? NaN : Date.parse(t);
    return Number.isNaN(at) ? [] : [{ at, line }];
  });
}

/** The first line at or after `since` that contains `text`. */
export function firstLine(lines: readonly LogLine[], since: number, text: string): LogLine | undefined {
  return lines.find((l) => l.at >= since && l.line.includes(text));
}

/** daprd's log line once a placement round ends with UNLOCK (docs/contracts/placement.md §3). */
export const TABLE_APPLIED = 'Dissemination complete for version';
/** daprd's log line once a stream to placement is open (info level unless after a "not a leader"). */
export const CONNECTED = 'Connected to placement service: ';
/** daprd's first log line when its placement stream breaks (then it halts its actors, reconnects). */
export const STREAM_BROKEN = 'Error receiving from stream';

/** The last lines of each workload pod's app and daprd, for failure messages. */
export function workloadTails(env: TestEnvironment, pods: readonly string[], lines = 25): string {
  return pods
    .map((pod) => {
      const tail = (container: string): string => {
        try {
          return env.logs(NAMESPACE, pod, container).split('\n').slice(-lines).join('\n');
        } catch (err) {
          return (err as Error).message;
        }
      };
      return `--- ${NAMESPACE}/${pod} app ---\n${tail('app')}\n--- ${NAMESPACE}/${pod} daprd ---\n${tail('daprd')}`;
    })
    .join('\n');
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
