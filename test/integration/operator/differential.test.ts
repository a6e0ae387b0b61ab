// Differential test (issue #6): our operator and upstream's Go operator v1.18.3 run side by side
// against the same apiserver, objects and sentry; for several caller identities, every RPC's
// answer and every stream's events decode to the same content. "The same content" is what
// daprd's Go json.Unmarshal would see: Go marshals typed structs and so writes zero values the
// apiserver leaves out (`"ignoreErrors":false`, `"initTimeout":""`), which daprd cannot tell
// from absent; those are removed from both sides before comparing. Nothing else is.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METHOD_NAMES, METHODS, type MethodName } from '../../../operator/proto/operator.js';
import {
  OperatorConnection,
  STREAM_METHODS,
  type DaprdIdentity,
  type EventRecorder,
} from '../../../operator/testing/daprd-client.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { coreApi, ensureNamespace } from '../../harness/kube-objects.js';
import {
  apply,
  daprdIdentity,
  OPERATOR_ID,
  remove,
  startControlPlane,
  startOperator,
  stopControlPlane,
  type ControlPlane,
  type OperatorProcess,
} from './support.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
};

/** Drops what Go's decoder cannot tell from absent: null, false, "", 0, [] and {} (recursively). */
export function withoutZeroValues(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(withoutZeroValues);
    return items.length === 0 ? undefined : items.map((i) => (i === undefined ? null : i));
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const kept = withoutZeroValues(v);
      if (kept !== undefined) out[k] = kept;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if (value === null || value === false || value === '' || value === 0) return undefined;
  return value;
}

/**
 * Stream events of the Go operator carry no apiVersion/kind (its informer objects have no
 * TypeMeta); ours do, as its List answers do. daprd never reads them: it overwrites TypeMeta
 * before comparing (EmptyMetaDeepCopy). Removed from stream events on both sides.
 */
function withoutTypeMeta(object: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...object };
  delete rest.apiVersion;
  delete rest.kind;
  return rest;
}

/**
 * CREATED and UPDATED, as daprd treats them alike (load, unless functionally identical). Upstream
 * v1.18.3 shares one event object between all watchers of a namespace and rewrites its type in
 * place when the change brings an object into one app's scope (appEventFromEvent), so other
 * apps in that namespace, for which the object was already in scope, may get CREATED where the
 * rule says UPDATED, depending on map order. Ours sends the rule's type; the test checks that
 * this is the only way the types differ.
 */
const applyOrDelete = (type: number): string => (type === 3 ? 'delete' : 'apply');

const decode = (b: Buffer): unknown => withoutZeroValues(JSON.parse(b.toString('utf8')));
const byName = (list: Buffer[]): unknown[] =>
  list
    .map(decode)
    .sort((a, b) => String((a as Obj).metadata.name).localeCompare(String((b as Obj).metadata.name)));

function objects(ns: string): Obj[] {
  const meta = (name: string): { name: string; namespace: string } => ({ name, namespace: ns });
  const component = (name: string, extra: Record<string, unknown> = {}): Obj => ({
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: meta(name),
    spec: {
      type: 'state.redis',
      version: 'v1',
      initTimeout: '5s',
      metadata: [
        { name: 'host', value: 'redis:6379' },
        { name: 'port', value: 6379 },
        { name: 'password', secretKeyRef: { name: 'redis', key: 'password' } },
        { name: 'byname', secretKeyRef: { name: 'redis' } },
        { name: 'nokey', value: 'kept', secretKeyRef: { name: 'redis', key: 'absent' } },
      ],
    },
    ...extra,
  });
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('redis'),
      data: { password: b64('p@ss/word<&>'), redis: b64('by-name'), token: b64('Bearer abc') },
    },
    component('statestore', { auth: { secretStore: 'kubernetes' } }),
    component('scoped-orders', { scopes: ['orders'] }),
    component('scoped-other', { scopes: ['other'] }),
    component('vault', { auth: { secretStore: 'vault' } }),
    {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Configuration',
      metadata: meta('appconfig'),
      spec: {
        features: [{ name: 'HotReload', enabled: true }],
        tracing: {
          samplingRate: '1',
          otel: {
            endpointAddress: 'otel:4317',
            isSecure: false,
            protocol: 'grpc',
            headers: [
              { name: 'auth', secretKeyRef: { name: 'redis', key: 'token' } },
              { name: 'plain', value: 'x' },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Resiliency',
      metadata: meta('res'),
      spec: {
        policies: {
          timeouts: { fast: '1s' },
          retries: { r: { policy: 'constant', duration: '1s', maxRetries: 3 } },
        },
        targets: { apps: { other: { timeout: 'fast', retry: 'r' } } },
      },
      scopes: ['orders'],
    },
    {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'HTTPEndpoint',
      metadata: meta('ep'),
      spec: {
        baseUrl: 'https://example.test',
        headers: [
          { name: 'Authorization', secretKeyRef: { name: 'redis', key: 'token' } },
          { name: 'Missing', secretKeyRef: { name: 'redis', key: 'absent' } },
          { name: 'Plain', value: 'v' },
        ],
        clientTLS: { rootCA: { secretKeyRef: { name: 'redis', key: 'password' } }, renegotiation: 'Never' },
      },
    },
    {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Subscription',
      metadata: meta('sub-v1'),
      spec: {
        pubsubname: 'pubsub',
        topic: 'a',
        route: '/a',
        metadata: { k: 'v' },
        deadLetterTopic: 'dead',
        bulkSubscribe: { enabled: true, maxMessagesCount: 10 },
      },
      scopes: ['orders'],
    },
    {
      apiVersion: 'dapr.io/v2alpha1',
      kind: 'Subscription',
      metadata: meta('sub-v2'),
      spec: {
        pubsubname: 'pubsub',
        topic: 'b',
        routes: { default: '/b', rules: [{ match: 'event.type == "x"', path: '/x' }] },
      },
    },
    {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'MCPServer',
      metadata: meta('mcp'),
      spec: {
        endpoint: {
          streamableHTTP: {
            url: 'https://mcp.test',
            headers: [{ name: 'k', secretKeyRef: { name: 'redis', key: 'password' } }],
          },
        },
      },
    },
    {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'WorkflowAccessPolicy',
      metadata: meta('wap'),
      spec: {
        rules: [{ callers: [{ appID: 'other' }], workflows: [{ name: 'w', operations: ['schedule'] }] }],
      },
      scopes: ['orders'],
    },
  ];
}

interface Caller {
  readonly label: string;
  readonly namespace: string;
  readonly appId: string;
  readonly config?: string;
  identity?: DaprdIdentity;
}

const CALLERS: Caller[] = [
  { label: 'team/orders (assigned appconfig)', namespace: 'team', appId: 'orders', config: 'appconfig' },
  { label: 'team/other (no config)', namespace: 'team', appId: 'other' },
  { label: 'team2/payments (its Secret is missing)', namespace: 'team2', appId: 'payments' },
];

/** An answer reduced to what can be compared: content, or the status code. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    const value = await promise;
    if (Array.isArray(value)) return { ok: byName(value as Buffer[]) };
    return { ok: decode(value as Buffer) ?? null };
  } catch (err) {
    return { code: (err as { code?: number }).code };
  }
}

describe('differential: our operator and the upstream Go operator give daprd the same content', () => {
  let cluster: TestCluster;
  let cp: ControlPlane;
  let dir: string;
  const operators: Record<'ts' | 'go', OperatorProcess | undefined> = { ts: undefined, go: undefined };
  const connections: OperatorConnection[] = [];

  const connect = (which: 'ts' | 'go', caller: Caller): OperatorConnection => {
    const c = new OperatorConnection({
      ...caller.identity!,
      address: operators[which]!.address,
      operatorId: OPERATOR_ID,
    });
    connections.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-operator-diff-`));
    cluster = await startTestCluster();
    cp = await startControlPlane(cluster, dir);
    for (const ns of ['team', 'team2']) await ensureNamespace(coreApi(cluster), ns);
    for (const o of objects('team')) await apply(cp.kube, o);
    // team2: the same objects but no Secret.
    for (const o of objects('team2').slice(1)) await apply(cp.kube, o);
    for (const c of CALLERS)
      c.identity = await daprdIdentity(
        cp,
        c.namespace,
        c.appId,
        c.config ? { 'dapr.io/config': c.config } : {},
      );
    [operators.ts, operators.go] = await Promise.all([startOperator(cp, 'ts'), startOperator(cp, 'go')]);
  }, 300_000);

  afterAll(async () => {
    for (const c of connections) c.close();
    await operators.ts?.proc.stop();
    await operators.go?.proc.stop();
    await stopControlPlane(cp);
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const UNARY = METHOD_NAMES.filter((m) => METHODS[m].shape !== 'event');

  it.each(CALLERS.map((c) => [c.label, c] as const))('unary RPCs for %s', async (_label, caller) => {
    const answers: Record<string, Record<string, unknown>> = { ts: {}, go: {} };
    for (const which of ['ts', 'go'] as const) {
      const c = connect(which, caller);
      const ns = caller.namespace;
      const request = (m: MethodName): Promise<unknown> =>
        m === 'GetConfiguration'
          ? c.get(m, ns, 'appconfig')
          : m === 'GetResiliency'
            ? c.get(m, ns, 'res')
            : c.call(m, { namespace: ns });
      for (const m of UNARY) answers[which]![m] = await outcome(request(m));
      answers[which]!['GetConfiguration(missing)'] = await outcome(c.get('GetConfiguration', ns, 'nope'));
      answers[which]!['ListComponents(other namespace)'] = await outcome(c.list('ListComponents', 'default'));
    }
    expect(answers.ts).toEqual(answers.go);
    // Sanity: the comparison is not between two empty answers.
    if (caller.namespace === 'team')
      expect((answers.ts!.ListComponents as { ok: unknown[] }).ok.length).toBeGreaterThan(1);
    else expect(answers.ts!.ListComponents).toEqual({ code: 2 });
  });

  it('stream events for every caller, through creates, updates, scope changes and deletes', async () => {
    const recorders: Record<string, Record<string, EventRecorder>> = {};
    for (const which of ['ts', 'go'] as const) {
      for (const caller of CALLERS) {
        const c = connect(which, caller);
        const set: Record<string, EventRecorder> = {};
        for (const m of STREAM_METHODS) set[m] = c.stream(m, caller.namespace);
        recorders[`${which} ${caller.label}`] = set;
      }
    }
    // The Go server sends its headers with the first event; give both time to register.
    await Promise.all(
      Object.entries(recorders)
        .filter(([k]) => k.startsWith('ts'))
        .flatMap(([, set]) => Object.values(set).map((r) => r.established)),
    );
    await new Promise((r) => setTimeout(r, 2_000));

    const team = objects('team');
    const comp = team[1]!;
    const changes: (() => Promise<unknown>)[] = [
      () => apply(cp.kube, { ...comp, metadata: { name: 'added', namespace: 'team' } }),
      () =>
        apply(cp.kube, {
          ...comp,
          metadata: { name: 'added', namespace: 'team' },
          spec: { type: 'state.redis', version: 'v2', metadata: [] },
        }),
      () => apply(cp.kube, { ...team[3]!, scopes: ['other', 'orders'] }), // scoped-other enters orders' scope
      () => apply(cp.kube, { ...team[2]!, scopes: ['nobody'] }), // scoped-orders leaves it
      () => remove(cp.kube, { ...comp, metadata: { name: 'added', namespace: 'team' } }),
      () => apply(cp.kube, { ...team[5]!, spec: { tracing: { samplingRate: '0.5' } } }),
      () => apply(cp.kube, { ...team[5]!, metadata: { name: 'unassigned', namespace: 'team' } }),
      () => apply(cp.kube, { ...team[6]!, scopes: [] }),
      () => apply(cp.kube, { ...team[7]!, metadata: { name: 'ep2', namespace: 'team' } }),
      () => apply(cp.kube, { ...team[8]!, metadata: { name: 'sub-v1b', namespace: 'team' } }),
      () => remove(cp.kube, team[9]!),
      () => apply(cp.kube, { ...team[10]!, metadata: { name: 'mcp2', namespace: 'team' } }),
      () => apply(cp.kube, { ...team[11]!, scopes: ['other'] }),
      // team2: resolving the Secret fails; both operators end that stream.
      () => apply(cp.kube, { ...objects('team2')[1]!, metadata: { name: 'added2', namespace: 'team2' } }),
      () => apply(cp.kube, { ...objects('team2')[9]!, metadata: { name: 'sub2', namespace: 'team2' } }),
      // Labels only: a real resourceVersion change, so an UPDATED event (daprd skips it itself).
      () =>
        apply(cp.kube, {
          ...team[6]!,
          metadata: { name: 'res', namespace: 'team', labels: { a: 'b' } },
          scopes: [],
        }),
    ];
    for (const change of changes) await change();
    // Sentinels in every kind, last: once each stream has its sentinel, it has everything before it.
    const sentinelOf = (kind: string): Obj | undefined => team.find((o) => o.kind === kind);
    const SENTINEL_KIND: Record<string, string> = {
      ComponentUpdate: 'Component',
      SubscriptionUpdate: 'Subscription',
      HTTPEndpointUpdate: 'HTTPEndpoint',
      MCPServerUpdate: 'MCPServer',
      ResiliencyUpdate: 'Resiliency',
      WorkflowAccessPolicyUpdate: 'WorkflowAccessPolicy',
    };
    for (const kind of Object.values(SENTINEL_KIND)) {
      const base = sentinelOf(kind)!;
      await apply(cp.kube, { ...base, metadata: { name: 'zz-sentinel', namespace: 'team' }, scopes: [] });
    }
    await apply(cp.kube, { ...team[5]!, spec: { tracing: { samplingRate: '0.25' } } });
    for (const [key, set] of Object.entries(recorders)) {
      if (!key.includes(' team/')) continue;
      for (const [method, kind] of Object.entries(SENTINEL_KIND)) {
        void kind;
        await set[method]!.until(
          (r) => r.events.some((e) => e.object.metadata.name === 'zz-sentinel'),
          20_000,
        );
      }
      if (key.includes('orders'))
        await set.ConfigurationUpdate!.until(
          (r) => r.events.some((e) => JSON.stringify(e.object).includes('0.25')),
          20_000,
        );
    }
    // team2's ComponentUpdate: the Secret is missing, so neither operator sends the event. Ours
    // then ends the stream with OK (docs/contracts/operator.md §1.6 rule 7), and daprd reconnects. Upstream's
    // v1.18.3 does not: its client loop stops on the error, but the stream loop, which ignores
    // the context, is never closed, so the stream stays open and silent for good. A documented
    // deviation (the only one): checked here on both sides, then left out of the comparison.
    const team2 = (which: string): EventRecorder =>
      recorders[`${which} ${CALLERS[2]!.label}`]!.ComponentUpdate!;
    await team2('ts').until((r) => r.status !== undefined, 20_000);
    expect(team2('ts').status?.code).toBe(0);
    expect(team2('go').status).toBeUndefined();
    expect([team2('ts').events, team2('go').events]).toEqual([[], []]);
    await new Promise((r) => setTimeout(r, 1_000)); // anything extra (a duplicate) would arrive now

    const view = (which: string): unknown =>
      Object.fromEntries(
        CALLERS.map((c) => [
          c.label,
          Object.fromEntries(
            STREAM_METHODS.map((m) => {
              const r = recorders[`${which} ${c.label}`]![m]!;
              return [
                m,
                {
                  events: r.events.map((e) => [
                    applyOrDelete(e.type),
                    withoutZeroValues(withoutTypeMeta(e.object)),
                  ]),
                  ended:
                    c === CALLERS[2] && m === 'ComponentUpdate' ? 'see above' : (r.status?.code ?? 'open'),
                },
              ];
            }),
          ),
        ]),
      );
    const ours = view('ts');
    expect(ours).toEqual(view('go'));
    for (const c of CALLERS)
      for (const m of STREAM_METHODS) {
        const types = (which: string): number[] =>
          recorders[`${which} ${c.label}`]![m]!.events.map((e) => e.type);
        const [t, g] = [types('ts'), types('go')];
        t.forEach((type, i) => {
          if (type !== g[i]) expect([type, g[i]]).toEqual([2, 1]); // ours UPDATED, upstream CREATED
        });
      }
    // Sanity: real traffic was compared.
    const orders = (ours as Record<string, Record<string, { events: unknown[] }>>)[CALLERS[0]!.label]!;
    expect(orders.ComponentUpdate!.events.length).toBeGreaterThanOrEqual(5);
    expect(orders.ConfigurationUpdate!.events.length).toBe(2);
  }, 120_000);
});
