// Hostile sidecars against a real server over the wire (issue 15, docs/placement.md Limits): a
// client that stops reading but keeps acknowledging, a host with too many actor types, a table
// past daprd's 4 MiB. Each is refused alone; the honest sidecar of the namespace keeps its rounds.
import { afterEach, describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { MAX_TABLE_BYTES, tableBytesOf } from '../loops/host-store.js';
import { emptyHost, encodeOrder, HostOperation, type Host } from '../proto/placement.js';
import { MAX_BUFFERED_BYTES_PER_STREAM, MAX_ENTITIES_PER_HOST } from './limits.js';
import { startLoopbackServer, type RunningServer } from './testing/loopback.js';
import { TestDaprd } from './testing/test-daprd.js';
import { liveBytes, reportMeasurement } from '../../kit/testing/hostile.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(): Promise<RunningServer> {
  const running = await startLoopbackServer({ disseminateTimeoutMs: 10_000 });
  cleanups.push(running.stop);
  return running;
}

function daprd(opts: ConstructorParameters<typeof TestDaprd>[0]): TestDaprd {
  const d = new TestDaprd(opts);
  cleanups.push(() => d.close());
  return d;
}

/** `count` actor types of `length` characters, distinct per `tag`. */
const types = (count: number, length: number, tag = ''): string[] =>
  Array.from({ length: count }, (_, i) => `${tag}${i}`.padEnd(length, 'x'));

const version = (running: RunningServer): number =>
  running.server.dissemination.state().get('default')?.version ?? 0;

describe('placement under hostile sidecars (issue 15)', () => {
  it('the table-size bound is an upper bound of the encoded UPDATE', () => {
    const hosts = [
      { name: '10.0.0.1:50002', id: 'a', entities: types(300, 40) },
      { name: '10.0.0.2:50002', id: 'bb', entities: types(300, 40) },
    ];
    const entries = new Map<string, { loadMap: Map<string, Host> }>();
    for (const h of hosts) {
      for (const t of h.entities) {
        if (!entries.has(t)) entries.set(t, { loadMap: new Map() });
        entries.get(t)!.loadMap.set(h.name, { ...emptyHost(), name: h.name, id: h.id });
      }
    }
    const encoded = encodeOrder({
      operation: 'update',
      version: 7,
      tables: { entries, version: '7', apiLevel: 0, replicationFactor: 100 },
    }).length;
    expect(hosts.reduce((n, h) => n + tableBytesOf(h), 0)).toBeGreaterThanOrEqual(encoded);
  });

  it('a host reporting more than MAX_ENTITIES_PER_HOST actor types is refused with RESOURCE_EXHAUSTED', async () => {
    const running = await start();
    const honest = daprd({ address: running.address, name: '10.0.0.1:50002', id: 'ok', entities: ['H'] });
    await honest.until((d) => d.ops.includes('unlock:1'));
    const bad = daprd({
      address: running.address,
      name: '10.0.0.9:50002',
      id: 'bad',
      entities: types(MAX_ENTITIES_PER_HOST + 1, 4),
    });
    const err = await bad.closed();
    expect([err?.code, err?.details]).toEqual([
      status.RESOURCE_EXHAUSTED,
      `host 10.0.0.9:50002 reports ${MAX_ENTITIES_PER_HOST + 1} actor types, more than the limit of ${MAX_ENTITIES_PER_HOST}`,
    ]);
    expect(running.server.dissemination.openStreams).toBe(1);
    expect(version(running)).toBe(1);
  }, 20_000);

  it('a report that would take the table past 4 MiB ends only that stream; the table stays as it was', async () => {
    const running = await start();
    const big = types(MAX_ENTITIES_PER_HOST, 2200, 'a'); // ~2.3 MB of table each
    const first = daprd({ address: running.address, name: '10.0.0.1:50002', id: 'one', entities: big });
    await first.until((d) => d.ops.includes('unlock:1'));
    const second = daprd({
      address: running.address,
      name: '10.0.0.2:50002',
      id: 'two',
      entities: types(MAX_ENTITIES_PER_HOST, 2200, 'b'),
    });
    const err = await second.closed();
    expect(err?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err?.details).toMatch(
      new RegExp(
        `^the table of namespace default would be \\d+ bytes .* over the limit of ${MAX_TABLE_BYTES}$`,
      ),
    );
    // The first host keeps its table, and a small host still joins.
    const small = daprd({ address: running.address, name: '10.0.0.3:50002', id: 'three', entities: ['S'] });
    await small.until((d) => d.ops.includes('unlock:2'));
    expect([...(small.lastTable?.entries.keys() ?? [])].length).toBe(MAX_ENTITIES_PER_HOST + 1);
  }, 30_000);

  it('hostile load: a client that acks without reading is closed past the buffer limit; the honest one keeps its rounds and memory stays bounded', async () => {
    const running = await start();
    const honest = daprd({ address: running.address, name: '10.0.0.1:50002', id: 'ok', entities: ['H'] });
    await honest.until((d) => d.ops.includes('unlock:1'));
    const hostile = daprd({
      address: running.address,
      name: '10.0.0.9:50002',
      id: 'bad',
      entities: ['B'],
      acks: false,
    });
    hostile.pauseReading();
    // Acks of every phase for the current version, without having read a single order.
    const acking = setInterval(() => {
      if (running.server.dissemination.openStreams < 2) return;
      const v = version(running);
      for (const op of [HostOperation.LOCK, HostOperation.UPDATE, HostOperation.UNLOCK]) hostile.ack(op, v);
    }, 5);
    cleanups.push(() => clearInterval(acking));
    await honest.until((d) => d.ops.includes('unlock:2'));
    const before = liveBytes();
    const tables = [types(MAX_ENTITIES_PER_HOST, 1800, 'p'), types(MAX_ENTITIES_PER_HOST, 1800, 'q')];
    const latencies: number[] = [];
    let closedAtRound: number | undefined;
    // Each round carries a ~2 MB table; 40 rounds are 80 MB the leader would otherwise buffer.
    for (let round = 0; round < 40; round++) {
      const start = performance.now();
      const from = version(running);
      honest.orders.length = 0; // the test client's own copies are not the server's memory
      if (running.server.dissemination.openStreams === 2) hostile.send(hostile.report(tables[round % 2]!));
      else honest.send(honest.report(round % 2 === 0 ? ['H', 'H2'] : ['H'])); // rounds go on
      await honest.until(
        (d) => version(running) > from && d.ops.includes(`unlock:${version(running)}`),
        10_000,
      );
      latencies.push(performance.now() - start);
      if (closedAtRound === undefined && running.server.dissemination.openStreams === 1)
        closedAtRound = round;
    }
    expect(closedAtRound).toBeDefined();
    expect(closedAtRound!).toBeLessThan(Math.ceil(MAX_BUFFERED_BYTES_PER_STREAM / (1.8 * 1024 * 1024)) + 8); // + socket and flow-control windows
    latencies.sort((a, b) => a - b);
    reportMeasurement('placement honest round, slowest', latencies.at(-1)!, 'ms');
    reportMeasurement('placement closed at round', closedAtRound ?? -1, '');
    reportMeasurement('placement memory growth', (liveBytes() - before) / 1048576, 'MiB');
    expect(latencies.at(-1)!).toBeLessThan(2_000);
    // Buffered orders of an unread stream would grow by ~2 MB a round; bounded, they stop at the limit.
    expect(liveBytes() - before).toBeLessThan(2 * MAX_BUFFERED_BYTES_PER_STREAM);
  }, 120_000);
});
