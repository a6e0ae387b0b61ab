// docs/contracts/operator.md §1–2, issue #6 (daprd acceptance, with the daprd-style client in place of daprd,
// which cannot be built here): our operator against a real apiserver, with its SVID from our
// sentry; callers hold workload SVIDs our sentry issued for their app identity, and make exactly
// daprd 1.18.3's calls. Components (with secretKeyRef), Configuration, Subscriptions written as
// v1alpha1 and v2alpha1, Resiliency, HTTPEndpoints, MCPServers, workflow policies; hot-reload
// events on apply/delete; scoping; PERMISSION_DENIED; a missing Secret; health and SIGTERM.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest } from '../../../kit/testing/http.js';
import { ResourceEventType } from '../../../operator/proto/operator.js';
import {
  daprdStartup,
  OperatorConnection,
  type DaprdIdentity,
  type DaprdStartup,
  type EventRecorder,
} from '../../../operator/testing/daprd-client.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { ManagedProcess, runId } from '../../../kit/testing/managed-process.js';
import { httpsGet } from '../../cluster/cluster.js';
import { apiserverArgs } from '../../cluster/components.js';
import { cachedBinary } from '../../deps/paths.js';
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

const NS = 'team';
const APP = 'orders';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

type Obj = Record<string, unknown> & { metadata: { name: string; namespace: string } };
const parse = (b: Buffer): Obj => JSON.parse(b.toString('utf8')) as Obj;
const names = (list: Buffer[]): string[] => list.map((b) => parse(b).metadata.name).sort();

const meta = (name: string, namespace = NS): { name: string; namespace: string } => ({ name, namespace });

function component(name: string, extra: Record<string, unknown> = {}, namespace = NS): Obj {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: meta(name, namespace),
    spec: {
      type: 'state.redis',
      version: 'v1',
      metadata: [
        { name: 'redisHost', value: 'redis:6379' },
        { name: 'redisPassword', secretKeyRef: { name: 'redis', key: 'password' } },
      ],
    },
    ...extra,
  };
}

const OBJECTS: Obj[] = [
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('redis'),
    data: { password: b64('p@ss/word'), token: b64('Bearer abc') },
  },
  component('statestore'),
  component('mine', { scopes: [APP] }),
  component('theirs', { scopes: ['other'] }),
  {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Configuration',
    metadata: meta('appconfig'),
    spec: {
      tracing: {
        samplingRate: '1',
        otel: {
          endpointAddress: 'otel:4317',
          protocol: 'grpc',
          isSecure: false,
          headers: [{ name: 'auth', secretKeyRef: { name: 'redis', key: 'token' } }],
        },
      },
    },
  },
  {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Resiliency',
    metadata: meta('res'),
    spec: { policies: { timeouts: { fast: '1s' } }, targets: { apps: { other: { timeout: 'fast' } } } },
  },
  {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'HTTPEndpoint',
    metadata: meta('ep'),
    spec: {
      baseUrl: 'https://example.test',
      headers: [{ name: 'Authorization', secretKeyRef: { name: 'redis', key: 'token' } }],
    },
  },
  {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Subscription',
    metadata: meta('sub-v1'),
    spec: { pubsubname: 'pubsub', topic: 'a', route: '/a' },
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
    scopes: [APP],
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
  },
];

describe('the operator API serves daprd 1.18.3 over mTLS from a real apiserver (issue #6)', () => {
  let cluster: TestCluster;
  let cp: ControlPlane;
  let operator: OperatorProcess;
  let dir: string;
  let identity: DaprdIdentity;
  let startup: DaprdStartup;
  let restartedApiserver: ManagedProcess | undefined;
  const client = (id: DaprdIdentity = identity): OperatorConnection =>
    new OperatorConnection({ ...id, address: operator.address, operatorId: OPERATOR_ID });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-operator-api-`));
    cluster = await startTestCluster();
    cp = await startControlPlane(cluster, dir);
    for (const ns of [NS, 'team2']) await ensureNamespace(coreApi(cluster), ns);
    for (const o of OBJECTS) await apply(cp.kube, o);
    identity = await daprdIdentity(cp, NS, APP, { 'dapr.io/config': 'appconfig' });
    // As the stock chart passes them.
    operator = await startOperator(cp, 'ts', [
      '--watch-interval',
      '0',
      '--max-pod-restarts-per-minute',
      '20',
      '--enable-metrics',
      '--log-as-json',
    ]);
  }, 240_000);

  afterAll(async () => {
    startup?.runtime.close();
    await operator?.proc.stop();
    await stopControlPlane(cp);
    await restartedApiserver?.stop();
    await cluster?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('is healthy, serves Prometheus text on any path, and presents its SVID to daprd', async () => {
    expect((await httpRequest(`http://127.0.0.1:${operator.healthzPort}/healthz`)).status).toBe(200);
    const metrics = await httpRequest(`http://127.0.0.1:${operator.metricsPort}/any/path`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^process_start_time_seconds /m);
    expect(operator.proc.logTail(400)).toContain('"scope":"dapr.operator.api"');
    // What daprd's grpc-go sees on the wire: ALPN h2 (it refuses servers without it), and the
    // operator's SVID from our sentry: RSA, exactly the dapr-operator SPIFFE ID.
    const { stdout } = await promisify(execFile)('sh', [
      '-c',
      `openssl s_client -connect ${operator.address} -alpn h2 </dev/null 2>/dev/null || true`,
    ]);
    expect(stdout).toContain('ALPN protocol: h2');
    const leaf = new X509Certificate(
      /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(stdout)![0],
    );
    expect(leaf.subjectAltName).toContain(`URI:${OPERATOR_ID}`);
    expect(leaf.publicKey.asymmetricKeyType).toBe('rsa');
    // (The chain to the anchors is verified by every client call below: TLS against cp.anchors.)
  });

  it("answers daprd's startup calls, in daprd's order, with the whole objects as JSON", async () => {
    startup = await daprdStartup({
      ...identity,
      address: operator.address,
      operatorId: OPERATOR_ID,
      namespace: NS,
      config: 'appconfig',
    });
    // GetConfiguration: otel header secrets resolved as plain text, secretKeyRef kept.
    const config = parse(startup.configuration!);
    expect(config).toMatchObject({
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Configuration',
      metadata: meta('appconfig'),
    });
    expect(config.spec).toMatchObject({
      tracing: {
        otel: {
          headers: [{ name: 'auth', value: 'Bearer abc', secretKeyRef: { name: 'redis', key: 'token' } }],
        },
      },
    });
    expect(names(startup.resiliencies)).toEqual(['res']);
    // ListComponents filters by scope; the secret is a JSON string of base64.
    expect(names(startup.components)).toEqual(['mine', 'statestore']);
    const store = parse(startup.components.find((c) => parse(c).metadata.name === 'statestore')!);
    expect((store.spec as { metadata: unknown[] }).metadata[1]).toEqual({
      name: 'redisPassword',
      value: b64('p@ss/word'),
      secretKeyRef: { name: 'redis', key: 'password' },
    });
    expect(store.metadata).toHaveProperty('uid');
    expect(store.metadata).toHaveProperty('resourceVersion');
    const ep = parse(startup.httpEndpoints[0]!);
    expect((ep.spec as { headers: { value: string }[] }).headers[0]!.value).toBe(b64('Bearer abc'));
    // Both subscriptions in the v2alpha1 shape, whichever version they were written at.
    const subs = Object.fromEntries(startup.subscriptions.map((s) => [parse(s).metadata.name, parse(s)]));
    expect(subs['sub-v1']).toMatchObject({
      apiVersion: 'dapr.io/v2alpha1',
      spec: { routes: { default: '/a' } },
    });
    expect(subs['sub-v1']!.spec).not.toHaveProperty('route');
    expect(subs['sub-v2']).toMatchObject({
      spec: { routes: { default: '/b', rules: [{ path: '/x' }] } },
      scopes: [APP],
    });
    expect(names(startup.workflowAccessPolicies)).toEqual(['wap']);
    expect(JSON.stringify(parse(startup.mcpServers[0]!))).toContain(b64('p@ss/word'));
    await Promise.all(Object.values(startup.streams).map((s) => s.established));
  });

  /** Applies a change and waits for the stream to carry exactly `expected` more events. */
  async function expectEvents(
    stream: EventRecorder,
    change: () => Promise<unknown>,
    expected: [number, string][],
    timeoutMs = 10_000,
  ): Promise<void> {
    const before = stream.events.length;
    await change();
    await stream.until((s) => s.events.length >= before + expected.length, timeoutMs);
    expect(stream.events.slice(before).map((e) => [e.type, e.object.metadata.name])).toEqual(expected);
  }

  it('hot reload: apply, update and delete reach the streams as CREATED, UPDATED, DELETED, nothing else', async () => {
    const s = startup.streams;
    const components = s.ComponentUpdate!;
    await expectEvents(components, () => apply(cp.kube, component('added')), [
      [ResourceEventType.CREATED, 'added'],
    ]);
    const created = components.events.at(-1)!.object;
    expect((created.spec as { metadata: { value: string }[] }).metadata[1]!.value).toBe(b64('p@ss/word'));
    await expectEvents(
      components,
      () =>
        apply(cp.kube, component('added', { spec: { type: 'state.redis', version: 'v2', metadata: [] } })),
      [[ResourceEventType.UPDATED, 'added']],
    );
    await expectEvents(
      components,
      () => remove(cp.kube, { apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: meta('added') }),
      [[ResourceEventType.DELETED, 'added']],
    );
    // Scoping: entering the app's scope is CREATED, leaving it is DELETED.
    await expectEvents(components, () => apply(cp.kube, component('theirs', { scopes: ['other', APP] })), [
      [ResourceEventType.CREATED, 'theirs'],
    ]);
    await expectEvents(components, () => apply(cp.kube, component('theirs', { scopes: ['other'] })), [
      [ResourceEventType.DELETED, 'theirs'],
    ]);
    await expectEvents(
      s.HTTPEndpointUpdate!,
      () => apply(cp.kube, { ...OBJECTS[6]!, metadata: meta('ep2') }),
      [[ResourceEventType.CREATED, 'ep2']],
    );
    await expectEvents(
      s.ResiliencyUpdate!,
      () => apply(cp.kube, { ...OBJECTS[5]!, metadata: meta('res2') }),
      [[ResourceEventType.CREATED, 'res2']],
    );
    await expectEvents(
      s.SubscriptionUpdate!,
      () => apply(cp.kube, { ...OBJECTS[7]!, metadata: meta('sub-v1b') }),
      [[ResourceEventType.CREATED, 'sub-v1b']],
    );
    expect(s.SubscriptionUpdate!.events.at(-1)!.object).toMatchObject({
      spec: { routes: { default: '/a' } },
    });
    await expectEvents(
      s.MCPServerUpdate!,
      () => remove(cp.kube, { apiVersion: 'dapr.io/v1alpha1', kind: 'MCPServer', metadata: meta('mcp') }),
      [[ResourceEventType.DELETED, 'mcp']],
    );
    await expectEvents(
      s.WorkflowAccessPolicyUpdate!,
      () => apply(cp.kube, { ...OBJECTS[10]!, metadata: meta('wap2') }),
      [[ResourceEventType.CREATED, 'wap2']],
    );
    // ConfigurationUpdate: only the app's own dapr.io/config; another Configuration is silent.
    await apply(cp.kube, { ...OBJECTS[4]!, metadata: meta('someone-elses') });
    await expectEvents(
      s.ConfigurationUpdate!,
      () => apply(cp.kube, { ...OBJECTS[4]!, spec: { tracing: { samplingRate: '0.5' } } }),
      [[ResourceEventType.UPDATED, 'appconfig']],
    );
    // Objects in other namespaces never reach this app.
    await apply(cp.kube, component('elsewhere', {}, 'default'));
    await expectEvents(components, () => apply(cp.kube, component('last')), [
      [ResourceEventType.CREATED, 'last'],
    ]);
    // No stream ever carried UNKNOWN, a duplicate, or an event on connect.
    const counts = Object.fromEntries(Object.entries(s).map(([m, r]) => [m, r.events.length]));
    expect(counts).toEqual({
      ComponentUpdate: 6,
      SubscriptionUpdate: 1,
      HTTPEndpointUpdate: 1,
      MCPServerUpdate: 1,
      ConfigurationUpdate: 1,
      ResiliencyUpdate: 1,
      WorkflowAccessPolicyUpdate: 1,
    });
  }, 60_000);

  it('a caller asking for another namespace gets PERMISSION_DENIED, on unary calls and streams', async () => {
    const c = client();
    try {
      await expect(c.list('ListComponents', 'default')).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
      });
      await expect(c.get('GetConfiguration', '', 'appconfig')).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
      });
      await expect(c.call('ListSubscriptions', {})).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
      const stream = c.stream('ComponentUpdate', 'default');
      await stream.until((r) => r.status !== undefined);
      expect(stream.status?.code).toBe(status.PERMISSION_DENIED);
      expect(stream.status?.details).toContain(
        'identity does not match requested namespace exp=default got=team',
      );
    } finally {
      c.close();
    }
  });

  it('a Component whose Secret is missing fails for that caller only, with a clear error', async () => {
    await apply(cp.kube, component('broken', {}, 'team2'));
    const other = await daprdIdentity(cp, 'team2', 'payments');
    const c = client(other);
    const ok = client();
    try {
      await expect(c.list('ListComponents', 'team2')).rejects.toMatchObject({
        code: status.UNKNOWN,
        details: expect.stringContaining('secrets "redis" not found') as unknown as string,
      });
      expect(names(await ok.list('ListComponents', NS))).toContain('statestore');
      await expect(c.get('GetConfiguration', 'team2', 'nope')).rejects.toMatchObject({
        code: status.UNKNOWN,
      });
    } finally {
      c.close();
      ok.close();
    }
  });

  it('across an apiserver restart and 410 Gone (etcd compacted) the streams stay open and carry only real changes', async () => {
    const components = startup.streams.ComponentUpdate!;
    const counts = (): number[] => Object.values(startup.streams).map((r) => r.events.length);
    const before = counts();
    const original = cluster.processes.find((p) => p.name === 'kube-apiserver')!;
    await original.stop();
    // Compact etcd's history while the apiserver is away: the informers' resourceVersions are
    // then too old to resume from, and their watches get 410 Gone and must list again.
    const etcd = `http://127.0.0.1:${cluster.layout.etcdClientPort}`;
    const range = (await (
      await fetch(`${etcd}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==' }) })
    ).json()) as { header: { revision: string } };
    const compacted = await fetch(`${etcd}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: range.header.revision, physical: true }),
    });
    expect(compacted.ok).toBe(true);
    restartedApiserver = await ManagedProcess.start({
      name: 'kube-apiserver',
      command: cachedBinary('kube-apiserver'),
      args: apiserverArgs(cluster.layout),
      logFile: `${cluster.logOf('kube-apiserver')}.restarted`,
    });
    const admin = {
      ca: cluster.pki.ca.certPem,
      cert: cluster.pki.clients.admin.certPem,
      key: cluster.pki.clients.admin.keyPem,
    };
    await restartedApiserver.waitUntilReady(
      async () =>
        (await httpsGet(`https://127.0.0.1:${cluster.layout.apiserverPort}/readyz`, admin)).status === 200,
      { what: 'the restarted apiserver', timeoutMs: 60_000 },
    );
    // The informers re-watch (or re-list, after 410 Gone) on their own: a change made now
    // arrives once, and nothing that did not change is sent again.
    await expectEvents(
      components,
      () => apply(cp.kube, component('after-restart')),
      [[ResourceEventType.CREATED, 'after-restart']],
      60_000,
    );
    await new Promise((r) => setTimeout(r, 2_000));
    const expected = [...before];
    expected[0]! += 1;
    expect(counts()).toEqual(expected);
    expect(operator.proc.logTail(2_000)).toMatch(/expired; listing again/);
    expect((await httpRequest(`http://127.0.0.1:${operator.healthzPort}/healthz`)).status).toBe(200);
  }, 120_000);

  it('SIGTERM ends the streams with OK and the process with 0', async () => {
    const stream = startup.streams.ComponentUpdate!;
    const exit = operator.proc.stop();
    await stream.until((r) => r.status !== undefined, 10_000);
    expect(stream.status?.code).toBe(status.OK);
    expect(await exit).toBe(0);
  });
});
