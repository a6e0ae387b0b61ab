import { afterEach, describe, expect, it } from '@jest/globals';
import { Client, credentials, ServerCredentials, status, type ServiceError } from '@grpc/grpc-js';
import { REPORT_DAPR_STATUS_CLIENT, type PlacementServerOptions } from './server.js';
import { startLoopbackServer, type RunningServer } from './testing/loopback.js';
import { TestDaprd } from './testing/test-daprd.js';
import { TestPki } from '../../kit/testing/test-pki.js';
import { HostOperation } from '../proto/placement.js';

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

const keys = (t: TestDaprd['lastTable']): Record<string, string[]> =>
  Object.fromEntries(
    [...(t?.entries ?? [])].map(([type, table]) => [type, [...table.loadMap.keys()].sort()]),
  );

describe('placement §1 ReportDaprStatus over plaintext', () => {
  it('a daprd with actors gets lock, update (its table, RF 100), unlock of version 1', async () => {
    const { address } = await start();
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.length === 3);
    expect(a.ops).toEqual(['lock:1', 'update:1', 'unlock:1']);
    expect(keys(a.lastTable)).toEqual({ X: ['10.0.0.1:50002'] });
    expect(a.lastTable?.replicationFactor).toBe(100);
    expect(a.lastTable?.version).toBe('1');
  });

  it('a newly connected daprd gets a full round even when the table is empty', async () => {
    const { address } = await start();
    const n = daprd({ address, name: '10.0.0.9:50002', id: 'n' });
    await n.until((d) => d.ops.length === 3);
    expect(n.ops).toEqual(['lock:0', 'update:0', 'unlock:0']);
  });

  it('a second daprd joins and both see round 2; when it leaves, the other gets round 3 without it', async () => {
    const { address, server } = await start();
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    const b = daprd({ address, name: '10.0.0.2:50002', id: 'b', entities: ['X', 'Y'] });
    await a.until((d) => d.ops.includes('unlock:2'));
    await b.until((d) => d.ops.includes('unlock:2'));
    expect(keys(a.lastTable)).toEqual({ X: ['10.0.0.1:50002', '10.0.0.2:50002'], Y: ['10.0.0.2:50002'] });
    b.close();
    await a.until((d) => d.ops.includes('unlock:3'));
    expect(keys(a.lastTable)).toEqual({ X: ['10.0.0.1:50002'] });
    expect(server.dissemination.openStreams).toBe(1);
  });

  it('a REPORT without id is refused with InvalidArgument', async () => {
    const { address } = await start();
    const bad = daprd({ address, name: 'x:1', id: '', entities: ['X'] });
    const err = await bad.closed();
    expect([err?.code, err?.details]).toEqual([
      status.INVALID_ARGUMENT,
      'host ID and namespace must be provided',
    ]);
  });

  it('a malformed message ends only its own stream', async () => {
    const { address, server } = await start();
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    const raw = new Client(address, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const call = raw.makeBidiStreamRequest(
      REPORT_DAPR_STATUS_CLIENT.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    const err = new Promise<ServiceError>((resolve) => call.on('error', resolve));
    call.write(Buffer.from([0x0a, 0x01, 0xff])); // name: invalid UTF-8
    expect((await err).code).not.toBe(status.OK);
    expect(server.dissemination.openStreams).toBe(1);
    expect(a.error).toBeUndefined();
  });

  it('a follower refuses at once with FailedPrecondition "is not a leader"', async () => {
    const { address } = await start({ isLeader: () => false, nodeId: 'dapr-placement-2' });
    const d = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    const err = await d.closed();
    expect([err?.code, err?.details]).toEqual([
      status.FAILED_PRECONDITION,
      'node id=dapr-placement-2 is not a leader. Only the leader can serve requests',
    ]);
  });

  it('a leader whose term ended unnoticed fences on the next message instead of acting on it', async () => {
    let leading = true;
    const { address, server } = await start({ isLeader: () => leading });
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    const b = daprd({ address, name: '10.0.0.2:50002', id: 'b', entities: ['X'], acks: false });
    await b.until((d) => d.ops.includes('lock:2'));
    leading = false; // the term ended; nobody called fence() yet
    b.ack(HostOperation.LOCK, 2);
    expect((await b.closed())?.code).toBe(status.FAILED_PRECONDITION);
    expect((await a.closed())?.code).toBe(status.FAILED_PRECONDITION);
    expect(a.ops).not.toContain('update:2');
    expect(server.dissemination.state().size).toBe(0);
  });

  it('a round timer that fires after the term ended fences instead of starting a round', async () => {
    let leading = true;
    const { address, server } = await start({ isLeader: () => leading, disseminateTimeoutMs: 300 });
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    const stuck = daprd({ address, name: '10.0.0.2:50002', id: 'b', entities: ['X'], acks: false });
    await stuck.until((d) => d.ops.includes('lock:2'));
    leading = false; // the round timeout fires next, with the term over
    expect((await a.closed())?.code).toBe(status.FAILED_PRECONDITION);
    expect((await stuck.closed())?.code).toBe(status.FAILED_PRECONDITION);
    expect(a.ops.filter((o) => o.startsWith('lock:'))).toEqual(['lock:1', 'lock:2']);
    expect(server.dissemination.state().size).toBe(0);
  });

  it('a slow stream is closed with DeadlineExceeded at the round timeout; the rest get a new round', async () => {
    const { address } = await start({ disseminateTimeoutMs: 300 });
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    const stuck = daprd({ address, name: '10.0.0.2:50002', id: 'b', entities: ['X'], acks: false });
    const err = await stuck.closed();
    expect([err?.code, err?.details]).toEqual([
      status.DEADLINE_EXCEEDED,
      'dissemination timeout after 300ms for version 2',
    ]);
    await a.until((d) => d.ops.includes('unlock:3'));
    expect(keys(a.lastTable)).toEqual({ X: ['10.0.0.1:50002'] });
  });

  it('fencing ends every stream, and shutdown refuses with Unavailable', async () => {
    const running = await start();
    const a = daprd({ address: running.address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    running.server.fence();
    expect((await a.closed())?.code).toBe(status.FAILED_PRECONDITION);
    const b = daprd({ address: running.address, name: '10.0.0.2:50002', id: 'b', entities: ['X'] });
    await b.until((d) => d.ops.includes('unlock:1'));
    const stopping = running.stop();
    const err = await b.closed();
    expect([err?.code, err?.details]).toEqual([status.UNAVAILABLE, 'placement server is shutting down']);
    await stopping;
  });

  it('UNKNOWN operation with a version is refused with InvalidArgument on a later message', async () => {
    const { address } = await start();
    const a = daprd({ address, name: '10.0.0.1:50002', id: 'a', entities: ['X'] });
    await a.until((d) => d.ops.includes('unlock:1'));
    a.ack(HostOperation.UNKNOWN, 1);
    const err = await a.closed();
    expect(err?.code).toBe(status.INVALID_ARGUMENT);
  });
});

describe('placement §3 ReportDaprStatus over mTLS', () => {
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

  it('a daprd with an Ed25519 SVID matching its report is served', async () => {
    const { address } = await startMtls();
    const a = daprd({
      address,
      name: '10.0.0.1:50002',
      id: 'myapp',
      entities: ['X'],
      credentials: client('default', 'myapp'),
    });
    await a.until((d) => d.ops.includes('unlock:1'));
    expect(keys(a.lastTable)).toEqual({ X: ['10.0.0.1:50002'] });
  });

  it("a stream claiming another app's identity is refused with PermissionDenied", async () => {
    const { address } = await startMtls();
    const liar = daprd({
      address,
      name: '10.0.0.1:50002',
      id: 'victim',
      entities: ['X'],
      credentials: client('default', 'myapp'),
    });
    const err = await liar.closed();
    expect([err?.code, err?.details]).toEqual([
      status.PERMISSION_DENIED,
      "provided app ID victim doesn't match the one in the SPIFFE ID (myapp)",
    ]);
  });

  it('a stream claiming another namespace is refused with PermissionDenied and changes no table', async () => {
    const { address, server } = await startMtls();
    const a = daprd({
      address,
      name: '10.0.0.1:50002',
      id: 'myapp',
      namespace: 'prod',
      entities: ['X'],
      credentials: client('prod', 'myapp'),
    });
    await a.until((d) => d.ops.includes('unlock:1'));
    const liar = daprd({
      address,
      name: '10.0.0.2:50002',
      id: 'myapp',
      namespace: 'prod',
      entities: ['X'],
      credentials: client('default', 'myapp'),
    });
    const err = await liar.closed();
    expect([err?.code, err?.details]).toEqual([
      status.PERMISSION_DENIED,
      "provided client namespace prod doesn't match the one in the SPIFFE ID (default)",
    ]);
    expect(
      [...server.dissemination.state().entries()].map(([ns, s]) => [
        ns,
        s.hosts.map((h) => h.name),
        s.version,
      ]),
    ).toEqual([['prod', ['10.0.0.1:50002'], 1]]);
  });
});
