// Issue #5's bad inputs against a real server over the wire: none may corrupt another
// namespace's table or stop the server from serving the well-behaved daprds.
import { afterEach, describe, expect, it } from '@jest/globals';
import { credentials, ServerCredentials, status } from '@grpc/grpc-js';
import { emptyHost, HostOperation } from '../proto/placement.js';
import { PlacementServer, type PlacementServerOptions } from './server.js';
import { startLoopbackServer, type RunningServer } from './testing/loopback.js';
import { TestDaprd } from './testing/test-daprd.js';
import { TestPki } from '../../kit/testing/test-pki.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(overrides: Partial<PlacementServerOptions> = {}): Promise<RunningServer> {
  const running = await startLoopbackServer(overrides);
  cleanups.push(running.stop);
  return running;
}

function daprd(opts: ConstructorParameters<typeof TestDaprd>[0]): TestDaprd {
  const d = new TestDaprd(opts);
  cleanups.push(() => d.close());
  return d;
}

/** namespace → [host names, version], from the server's own state. */
function tables(server: PlacementServer): Record<string, [string[], number]> {
  return Object.fromEntries(
    [...server.dissemination.state()].map(([ns, s]) => [ns, [s.hosts.map((h) => h.name).sort(), s.version]]),
  );
}

const keys = (t: TestDaprd['lastTable']): Record<string, string[]> =>
  Object.fromEntries(
    [...(t?.entries ?? [])].map(([type, table]) => [type, [...table.loadMap.keys()].sort()]),
  );

describe('bad inputs over plaintext', () => {
  it('a REPORT without namespace is refused with InvalidArgument and joins no table', async () => {
    const { address, server } = await start();
    const bad = daprd({
      address,
      name: '10.0.0.1:50002',
      id: 'a',
      firstMessage: {
        ...emptyHost(),
        name: '10.0.0.1:50002',
        id: 'a',
        entities: ['X'],
        operation: HostOperation.REPORT,
      },
    });
    const err = await bad.closed();
    expect([err?.code, err?.details]).toEqual([
      status.INVALID_ARGUMENT,
      'host ID and namespace must be provided',
    ]);
    expect(tables(server)).toEqual({});
    expect(server.dissemination.openStreams).toBe(0);
  }, 20_000);

  it('out-of-order, stale and future acks neither stall nor corrupt a round; a foreign-namespace ack ends only its stream', async () => {
    const { address, server } = await start({ disseminateTimeoutMs: 2_000 });
    const other = daprd({ address, name: '10.0.1.1:50002', id: 'o', namespace: 'other', entities: ['Y'] });
    await other.until((d) => d.ops.includes('unlock:1'));
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    // A second host joins; as round 2 starts, the first sends acks of every wrong kind.
    const b = daprd({ address, name: '10.0.0.2:50002', id: 'b', entities: ['X'] });
    a.ack(HostOperation.UNLOCK, 2); // unlock before lock
    a.ack(HostOperation.UPDATE, 99); // a future version
    a.ack(HostOperation.LOCK, 0); // a stale one
    await a.until((d) => d.ops.includes('unlock:2'));
    await b.until((d) => d.ops.includes('unlock:2'));
    expect(a.ops).toEqual(['lock:1', 'update:1', 'unlock:1', 'lock:2', 'update:2', 'unlock:2']);
    expect(keys(a.lastTable)).toEqual({ X: ['10.0.0.1:50002', '10.0.0.2:50002'] });
    expect(keys(b.lastTable)).toEqual(keys(a.lastTable));

    // An ack that names another namespace ends that stream, and reaches nothing in `other`.
    a.send({ ...emptyHost(), id: 'a', namespace: 'other', operation: HostOperation.LOCK, version: 1 });
    const err = await a.closed();
    expect([err?.code, err?.details]).toEqual([
      status.INVALID_ARGUMENT,
      'stream of namespace default sent a message for namespace other',
    ]);
    await b.until((d) => d.ops.includes('unlock:3'));
    expect(keys(b.lastTable)).toEqual({ X: ['10.0.0.2:50002'] });
    expect(other.ops).toEqual(['lock:1', 'update:1', 'unlock:1']);
    expect(tables(server)).toEqual({
      default: [['10.0.0.2:50002'], 3],
      other: [['10.0.1.1:50002'], 1],
    });
  }, 20_000);

  it('a flood of reconnects in one namespace settles to one consistent table and leaves the others alone', async () => {
    let floodPeak = 0;
    const { address, server } = await start({
      disseminateTimeoutMs: 3_000,
      metrics: {
        runtimesTotal: (ns, n) => (floodPeak = ns === 'flood' ? Math.max(floodPeak, n) : floodPeak),
        actorRuntimesTotal: () => undefined,
        leaderStatus: () => undefined,
      },
    });
    const steady = daprd({ address, name: '10.0.1.1:50002', id: 's', namespace: 'steady', entities: ['Y'] });
    await steady.until((d) => d.ops.includes('unlock:1'));
    const survivors = [0, 1, 2].map((i) =>
      daprd({ address, name: `10.0.0.${i}:50002`, id: `keep-${i}`, namespace: 'flood', entities: ['X'] }),
    );

    // 10 clients each reconnect 20 times, closing every stream at a random point of its round.
    const flooders = Array.from({ length: 10 }, async (_, c) => {
      for (let n = 0; n < 20; n++) {
        const d = new TestDaprd({
          address,
          name: `10.0.2.${c}:50002`,
          id: `flood-${c}`,
          namespace: 'flood',
          entities: ['X', `T${c}`],
        });
        await new Promise((r) => setTimeout(r, Math.random() * 20));
        d.close();
      }
    });
    await Promise.all(flooders);
    // The flood did reach the server: flooders were counted beside the three survivors.
    expect(floodPeak).toBeGreaterThan(3);

    // Every survivor converges on one table version that holds exactly the survivors.
    const expected = { X: survivors.map((s) => s.opts.name).sort() };
    for (const s of survivors)
      await s.until((d) => JSON.stringify(keys(d.lastTable)) === JSON.stringify(expected), 15_000);
    await survivors[0]!.until(() => {
      const state = server.dissemination.state().get('flood');
      return state !== undefined && state.hosts.length === 3;
    });
    const versions = survivors.map((s) => s.lastTable?.version);
    expect(new Set(versions).size).toBe(1);
    for (const s of survivors) expect(s.error).toBeUndefined();
    // The last flooder's stream may still be closing on the server when the survivors converge.
    await survivors[0]!.until(() => server.dissemination.openStreams === 4, 5_000);
    expect(server.dissemination.openStreams).toBe(4);
    expect(steady.ops).toEqual(['lock:1', 'update:1', 'unlock:1']);
    expect(tables(server).steady).toEqual([['10.0.1.1:50002'], 1]);

    // And the server still serves a newcomer.
    const late = daprd({ address, name: '10.0.1.2:50002', id: 'late', namespace: 'steady', entities: ['Y'] });
    await late.until((d) => d.ops.includes('unlock:2'));
    expect(keys(late.lastTable)).toEqual({ Y: ['10.0.1.1:50002', '10.0.1.2:50002'] });
  }, 30_000);
});

describe('bad inputs over mTLS', () => {
  const pki = new TestPki();
  const placementId = 'spiffe://cluster.local/ns/dapr-system/dapr-placement';

  async function startMtls(): Promise<RunningServer> {
    const serving = pki.svid({
      trustDomain: 'cluster.local',
      namespace: 'dapr-system',
      appId: 'dapr-placement',
    });
    return start({
      mtls: true,
      credentials: ServerCredentials.createSsl(
        pki.trustAnchorsPem,
        [{ cert_chain: serving.certChainPem, private_key: serving.keyPem }],
        true,
      ),
    });
  }

  function client(namespace: string, appId: string): ReturnType<typeof credentials.createSsl> {
    const svid = pki.svid({ trustDomain: 'public', namespace, appId });
    return credentials.createSsl(pki.trustAnchorsPem, svid.keyPem, svid.certChainPem, {
      checkServerIdentity: (_host, cert) =>
        cert.subjectaltname === `URI:${placementId}`
          ? undefined
          : new Error(`unexpected ${cert.subjectaltname}`),
    });
  }

  it("a served stream that later claims another app's identity or namespace is cut off; no table changes", async () => {
    const { address, server } = await startMtls();
    const victim = daprd({
      address,
      name: '10.0.1.1:50002',
      id: 'victim',
      namespace: 'prod',
      entities: ['Y'],
      credentials: client('prod', 'victim'),
    });
    await victim.until((d) => d.ops.includes('unlock:1'));
    const mallory = daprd({
      address,
      name: '10.0.0.1:50002',
      id: 'mallory',
      entities: ['X'],
      credentials: client('default', 'mallory'),
    });
    await mallory.until((d) => d.ops.includes('unlock:1'));
    // Honest first report, then a re-report as the victim, in the victim's namespace.
    mallory.send({ ...mallory.report(['Y']), id: 'victim', namespace: 'prod', name: '10.0.1.1:50002' });
    const err = await mallory.closed();
    expect([err?.code, err?.details]).toEqual([
      status.PERMISSION_DENIED,
      "provided app ID victim doesn't match the one in the SPIFFE ID (mallory)",
    ]);
    const mallory2 = daprd({
      address,
      name: '10.0.0.2:50002',
      id: 'mallory',
      entities: ['X'],
      credentials: client('default', 'mallory'),
    });
    await mallory2.until((d) => d.ops.some((o) => o.startsWith('unlock:')));
    mallory2.send({ ...mallory2.report(['Y']), namespace: 'prod' });
    expect((await mallory2.closed())?.code).toBe(status.PERMISSION_DENIED);

    // The victim's namespace never changed; mallory's streams left the default namespace.
    expect(victim.ops).toEqual(['lock:1', 'update:1', 'unlock:1']);
    expect(victim.error).toBeUndefined();
    await victim.until(() => server.dissemination.openStreams === 1);
    expect(tables(server)).toEqual({ prod: [['10.0.1.1:50002'], 1] });
  }, 20_000);
});
