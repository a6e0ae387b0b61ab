import { afterEach, describe, expect, it } from '@jest/globals';
import { emptyHost, HostOperation, type PlacementTables } from '../proto/placement.js';
import { Sim, type SimDaprd } from './testing/sim.js';

const A = { name: '10.0.0.1:50002', id: 'a' };
const B = { name: '10.0.0.2:50002', id: 'b' };
const C = { name: '10.0.0.3:50002', id: 'c' };
const N = { name: '10.0.0.9:50002', id: 'noactors' };

let sims: Sim[] = [];
function sim(opts: ConstructorParameters<typeof Sim>[0] = {}): Sim {
  const s = new Sim(opts);
  sims.push(s);
  return s;
}

/** entries as {type: [load_map keys]} */
function layout(t: PlacementTables | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [type, table] of t?.entries ?? []) out[type] = [...table.loadMap.keys()].sort();
  return out;
}

afterEach(() => {
  // daprd's own checks (§1.6): no update without lock(v), no lower versions, no unknown operation
  for (const s of sims)
    for (const d of s.daprds.values()) expect([d.opts.id, d.violations]).toEqual([d.opts.id, []]);
  sims = [];
});

describe('placement §1.5 rounds', () => {
  it('a newly connected daprd gets a full round even when the table is empty', () => {
    const s = sim();
    const n = s.connect(N);
    s.deliver();
    expect(s.ops(n)).toEqual(['lock:0', 'update:0', 'unlock:0']);
    expect(n.table).toEqual({ entries: new Map(), version: '0', apiLevel: 0, replicationFactor: 100 });
    expect(n.unlockedVersion).toBe(0);
  });

  it('the first daprd with actors starts round 1: lock, update, unlock, each after every ack', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['Y', 'X'] });
    s.deliver();
    expect(s.ops(a)).toEqual(['lock:1', 'update:1', 'unlock:1']);
    expect(layout(a.table)).toEqual({ X: [A.name], Y: [A.name] });
    expect(a.table?.version).toBe('1');
  });

  it('§1.8: B joins A, both get round 2 with the full table; C (no actors) joining mid-round waits, then gets a one-shot push of 2', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X', 'Y'] });
    s.deliver();
    const b = s.connect({ ...B, entities: ['X'] });
    s.step(); // B's REPORT: lock(2) to A and B
    const c = s.connect(N);
    s.deliver();
    expect(s.ops(a)).toEqual(['lock:1', 'update:1', 'unlock:1', 'lock:2', 'update:2', 'unlock:2']);
    expect(s.ops(b)).toEqual(['lock:2', 'update:2', 'unlock:2']);
    expect(layout(b.table)).toEqual({ X: [A.name, B.name], Y: [A.name] });
    expect(s.ops(c)).toEqual(['lock:2', 'update:2', 'unlock:2']);
    expect(layout(c.table)).toEqual(layout(b.table));
    const unlock2 = s.log.findIndex(
      (cmd) => cmd.kind === 'send' && cmd.order.operation === 'unlock' && cmd.order.version === 2,
    );
    const pushToC = s.log.findIndex((cmd) => cmd.kind === 'send' && cmd.streams.includes(c.stream));
    expect(pushToC).toBeGreaterThan(unlock2);
  });

  it("a round waits for every stream's ack including hosts without actors", () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    const n = s.connect({ ...N, acks: false });
    s.deliver();
    s.connect({ ...B, entities: ['X'] });
    s.deliver();
    expect(s.ops(a).slice(-1)).toEqual(['lock:2']); // A and B acked; N has not
    s.send(n, n.ackOf(HostOperation.LOCK, 2));
    s.deliver();
    expect(s.ops(a).slice(-1)).toEqual(['update:2']);
    s.send(n, n.ackOf(HostOperation.UPDATE, 2));
    s.deliver();
    expect(s.ops(a).slice(-1)).toEqual(['unlock:2']);
    expect(s.loops.table('default')?.version).toBe('2');
  });

  it('a slow stream is closed with DeadlineExceeded at the round timeout, and the rest go again at a new version', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    const stuck = s.connect({ ...B, entities: ['X'], acks: false });
    s.deliver();
    s.advance(7999);
    expect(stuck.closed).toBeUndefined();
    s.advance(1);
    expect(stuck.closed).toEqual({
      code: 'DeadlineExceeded',
      message: 'dissemination timeout after 8s for version 2',
    });
    expect(s.ops(a).slice(-3)).toEqual(['lock:3', 'update:3', 'unlock:3']);
    expect(layout(a.table)).toEqual({ X: [A.name] });
    expect(s.armed('default', 'round')).toBeUndefined();
  });

  it('the round timeout is formatted like a Go duration and covers the whole round', () => {
    const s = sim({ disseminateTimeoutMs: 1500 });
    s.connect({ ...A, entities: ['X'] });
    s.deliver();
    const stuck = s.connect({ ...B, acks: false });
    s.deliver(); // a no-actor stream: one-shot push, no waiting, no timer
    expect(s.armed('default', 'round')).toBeUndefined();
    s.connect({ ...C, entities: ['X'] });
    s.deliver();
    expect(s.armed('default', 'round')).toBe(1500);
    s.advance(1500);
    expect(stuck.closed?.message).toBe('dissemination timeout after 1.5s for version 2');
  });

  it('bursts of membership changes coalesce into one round (coalesce window)', () => {
    const s = sim({ coalesceWindowMs: 200 });
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    expect(s.armed('default', 'coalesce')).toBe(200);
    const b = s.connect({ ...B, entities: ['X'] });
    const c = s.connect({ ...C, entities: ['Y'] });
    const n = s.connect(N);
    s.deliver();
    expect(s.ops(b)).toEqual([]); // queued in the window
    s.advance(200);
    const locks = s.log.filter((cmd) => cmd.kind === 'send' && cmd.order.operation === 'lock');
    expect(locks.map((cmd) => cmd.kind === 'send' && cmd.order.version)).toEqual([1, 2]);
    for (const d of [a, b, c, n]) expect(d.unlockedVersion).toBe(2);
    expect(layout(n.table)).toEqual({ X: [A.name, B.name], Y: [C.name] });
  });

  it('a daprd leaving inside the coalesce window is dropped by the round the window ends with', () => {
    const s = sim({ coalesceWindowMs: 150 });
    const a = s.connect({ ...A, entities: ['X'] });
    const b = s.connect({ ...B, entities: ['X'] });
    s.advance(150); // B waited for the first window; round 2 took it in and opened another window
    expect(s.ops(b)).toEqual(['lock:2', 'update:2', 'unlock:2']);
    expect(s.armed('default', 'coalesce')).toBe(300);
    s.disconnect(b);
    s.advance(149);
    expect(layout(a.table)).toEqual({ X: [A.name, B.name] });
    s.advance(1);
    expect(s.ops(a).slice(-3)).toEqual(['lock:3', 'update:3', 'unlock:3']);
    expect(layout(a.table)).toEqual({ X: [A.name] });
  });

  it('a daprd that connects and leaves inside the coalesce window still ends it with a round (as upstream)', () => {
    const s = sim({ coalesceWindowMs: 150 });
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    const b = s.connect({ ...B, entities: ['X'] });
    s.deliver();
    s.disconnect(b);
    s.advance(150);
    expect(s.ops(a).slice(-3)).toEqual(['lock:2', 'update:2', 'unlock:2']);
    expect(layout(a.table)).toEqual({ X: [A.name] });
  });

  it('streams queued behind a round that times out join the next round together', () => {
    const s = sim({ disseminateTimeoutMs: 1000 });
    const blocker = s.connect({ ...A, entities: ['X'], acks: false });
    s.deliver();
    const waiters = [s.connect({ ...B, entities: ['X'] }), s.connect({ ...C, entities: ['X'] })];
    s.deliver();
    s.advance(1000);
    expect(blocker.closed?.code).toBe('DeadlineExceeded');
    for (const w of waiters) expect(w.unlockedVersion).toBe(2);
    expect(layout(waiters[0]!.table)).toEqual({ X: [B.name, C.name] });
  });

  it('a type change inside the coalesce window starts a round at once, taking the queued joins along', () => {
    const s = sim({ coalesceWindowMs: 1000 });
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    const b = s.connect({ ...B, entities: ['X'] });
    s.deliver();
    s.report(a, ['X', 'Y']);
    s.deliver();
    expect(s.ops(b)).toEqual(['lock:2', 'update:2', 'unlock:2']);
    expect(layout(b.table)).toEqual({ X: [A.name, B.name], Y: [A.name] });
  });

  it('joins during a round are batched into one next round (no window)', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    s.step(); // lock(1) out, A's ack in flight
    const b = s.connect({ ...B, entities: ['X'] });
    const c = s.connect({ ...C, entities: ['X'] });
    s.deliver();
    expect(s.ops(a)).toEqual(['lock:1', 'update:1', 'unlock:1', 'lock:2', 'update:2', 'unlock:2']);
    expect(s.ops(b)).toEqual(['lock:2', 'update:2', 'unlock:2']);
    expect(s.ops(c)).toEqual(['lock:2', 'update:2', 'unlock:2']);
  });

  it('a type change mid-round pre-empts the round at a new version; the old unlock is never sent', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    const b = s.connect({ ...B, entities: ['X'], acks: false });
    s.deliver(); // round 2 waits for B's lock ack
    s.report(a, ['X', 'Z']);
    s.deliver();
    b.acks = true;
    s.send(b, b.ackOf(HostOperation.LOCK, 2)); // stale: ignored
    s.send(b, b.ackOf(HostOperation.LOCK, 3));
    s.deliver();
    expect(s.ops(a)).toEqual(['lock:1', 'update:1', 'unlock:1', 'lock:2', 'lock:3', 'update:3', 'unlock:3']);
    expect(layout(a.table)).toEqual({ X: [A.name, B.name], Z: [A.name] });
  });

  it('acks of older versions, of another phase, or from queued streams are ignored; a legacy UNKNOWN ack counts', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    const b = s.connect({ ...B, entities: ['X'], acks: false });
    s.deliver();
    for (const ack of [
      b.ackOf(HostOperation.LOCK, 1),
      b.ackOf(HostOperation.UPDATE, 2),
      b.ackOf(HostOperation.UNLOCK, 2),
      b.ackOf(HostOperation.LOCK, 9),
    ])
      s.send(b, ack);
    s.deliver();
    expect(s.ops(a).slice(-1)).toEqual(['lock:2']);
    s.send(b, { ...emptyHost(), id: 'b', namespace: 'default', operation: HostOperation.UNKNOWN });
    s.deliver();
    expect(s.ops(a).slice(-1)).toEqual(['update:2']);
  });

  it('a host that disconnects mid-round: the round completes without it and the next round drops it', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    const b = s.connect({ ...B, entities: ['X'], acks: false });
    s.deliver();
    s.disconnect(b);
    s.deliver();
    expect(s.ops(a)).toEqual([
      'lock:1',
      'update:1',
      'unlock:1',
      'lock:2',
      'update:2',
      'unlock:2',
      'lock:3',
      'update:3',
      'unlock:3',
    ]);
    expect(layout(a.table)).toEqual({ X: [A.name] });
  });

  it('an idle host with actors disconnecting starts a round at once; a no-actor one never does', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    const b = s.connect({ ...B, entities: ['Y'] });
    const n = s.connect(N);
    s.deliver();
    const before = s.ops(a).length;
    s.disconnect(n);
    s.deliver();
    expect(s.ops(a).length).toBe(before);
    s.disconnect(b);
    s.deliver();
    expect(s.ops(a).slice(-3)).toEqual(['lock:3', 'update:3', 'unlock:3']);
    expect(layout(a.table)).toEqual({ X: [A.name] });
  });

  it('re-reporting no actor types removes the host from the table but keeps its stream in rounds', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    const b = s.connect({ ...B, entities: ['X'] });
    s.deliver();
    s.report(b, []);
    s.deliver();
    expect(layout(a.table)).toEqual({ X: [A.name] });
    expect(s.ops(b).slice(-3)).toEqual(['lock:3', 'update:3', 'unlock:3']);
  });

  it('an unchanged re-report starts no round', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X', 'Y'] });
    s.deliver();
    s.report(a, ['Y', 'X']);
    s.deliver();
    expect(s.ops(a)).toEqual(['lock:1', 'update:1', 'unlock:1']);
  });

  it('the last stream leaving drops the namespace; the next stream starts again from version 0', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    s.disconnect(a);
    s.deliver();
    expect(s.emptied).toEqual(['default']);
    expect(s.loops.namespaces).toEqual([]);
    const a2 = s.connect({ ...A, entities: ['X'] });
    s.deliver();
    expect(s.ops(a2)).toEqual(['lock:1', 'update:1', 'unlock:1']);
  });

  it('the runtimes gauges count streams, and actor runtimes those whose first report had types', () => {
    const s = sim();
    s.connect({ ...A, entities: ['X'] });
    const n = s.connect(N);
    s.deliver();
    expect(s.gauges.get('default')).toEqual({ runtimes: 2, actorRuntimes: 1 });
    s.disconnect(n);
    s.deliver();
    expect(s.gauges.get('default')).toEqual({ runtimes: 1, actorRuntimes: 1 });
  });
});

describe('placement §1.2/§1.9 table contents', () => {
  it('tables carry only load_map and replication_factor (plus the version string)', () => {
    const s = sim({ replicationFactor: 7 });
    const a = s.connect({ ...A, entities: ['X', 'Y'] });
    s.deliver();
    const t = a.table!;
    expect({ ...t, entries: undefined }).toEqual({
      entries: undefined,
      version: '1',
      apiLevel: 0,
      replicationFactor: 7,
    });
    const value = t.entries.get('X')!.loadMap.get(A.name);
    expect(value).toEqual({ ...emptyHost(), name: A.name, id: 'a' });
    expect(t.entries.get('X')).toEqual({ loadMap: new Map([[A.name, value]]) });
  });

  it('an actor type with no hosts is absent; only hosts with types appear', () => {
    const s = sim();
    const a = s.connect({ ...A, entities: ['X'] });
    const b = s.connect({ ...B, entities: ['Y'] });
    s.connect(N);
    s.deliver();
    expect(layout(a.table)).toEqual({ X: [A.name], Y: [B.name] });
    s.disconnect(b);
    s.deliver();
    expect(layout(a.table)).toEqual({ X: [A.name] });
  });
});

describe('placement §3 namespaces', () => {
  it('namespaces have independent versions and tables', () => {
    const s = sim();
    const a = s.connect({ ...A, namespace: 'ns1', entities: ['X'] });
    s.connect({ ...B, namespace: 'ns1', entities: ['X'] });
    s.deliver();
    const c = s.connect({ ...C, namespace: 'ns2', entities: ['X'] });
    s.deliver();
    expect(a.unlockedVersion).toBe(2);
    expect(s.ops(c)).toEqual(['lock:1', 'update:1', 'unlock:1']);
    expect(layout(c.table)).toEqual({ X: [C.name] });
    expect(layout(a.table)).toEqual({ X: [A.name, B.name] });
    expect(s.loops.namespaces.sort()).toEqual(['ns1', 'ns2']);
  });

  it("a stream claiming another namespace never changes this namespace's table", () => {
    const s = sim();
    const a = s.connect({ ...A, namespace: 'ns1', entities: ['X'] });
    const liar = s.connect({ ...B, namespace: 'ns1' });
    const other = s.connect({ ...C, namespace: 'ns2', entities: ['X'] });
    s.deliver();
    s.send(liar, { ...liar.report(['X']), namespace: 'ns2' });
    s.deliver();
    expect(liar.closed?.code).toBe('InvalidArgument');
    expect(layout(s.loops.table('ns2'))).toEqual({ X: [C.name] });
    expect(layout(s.loops.table('ns1'))).toEqual({ X: [A.name] });
    expect(s.ops(other)).toEqual(['lock:1', 'update:1', 'unlock:1']);
    expect(s.ops(a)).toEqual(['lock:1', 'update:1', 'unlock:1']);
  });

  it("acks claiming another namespace neither count here nor reach the other namespace's round", () => {
    const s = sim();
    s.connect({ ...A, namespace: 'ns1', entities: ['X'] });
    const stuck = s.connect({ ...B, namespace: 'ns1', entities: ['X'], acks: false });
    s.deliver();
    s.send(stuck, { ...stuck.ackOf(HostOperation.LOCK, 1), namespace: 'ns2' });
    s.deliver();
    expect(stuck.closed?.code).toBe('InvalidArgument');
    expect(s.loops.namespaces).toEqual(['ns1']);
  });

  it('a stream that never sent a first message is unknown: its later events are ignored', () => {
    const s = sim();
    expect(s.handle({ kind: 'streamClosed', stream: 42 })).toEqual([]);
    expect(
      s.handle({
        kind: 'ack',
        stream: 42,
        host: { ...emptyHost(), operation: HostOperation.LOCK, version: 1 },
      }),
    ).toEqual([]);
  });
});

describe('placement §1.5 reconnect floods', () => {
  it('many daprds connecting and leaving settle into one consistent table with no daprd-side violation', () => {
    const s = sim({ coalesceWindowMs: 100 });
    const live: SimDaprd[] = [];
    for (let i = 0; i < 50; i++) {
      live.push(s.connect({ name: `10.1.0.${i}:50002`, id: `app${i}`, entities: [i % 2 === 0 ? 'X' : 'Y'] }));
      if (i % 3 === 0) s.step();
      if (i % 7 === 6) s.disconnect(live.shift()!);
    }
    s.advance(1000);
    const tables = live.map((d) => JSON.stringify(layout(d.table)));
    expect(new Set(tables).size).toBe(1);
    const expected = live.map((d) => d.opts.name);
    expect(Object.values(layout(live[0]!.table)).flat().sort()).toEqual(expected.sort());
    expect(new Set(live.map((d) => d.unlockedVersion)).size).toBe(1);
  });
});
