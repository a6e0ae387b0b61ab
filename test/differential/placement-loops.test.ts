// The TypeScript ring and codec against dapr v1.18.3's own Go packages (goplacement).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActorRings, HashRing } from '../../placement/hashing/testing/go-ring.js';
import { Sim } from '../../placement/loops/testing/sim.js';
import {
  decodeHost,
  emptyHost,
  encodeHost,
  encodeOrder,
  HostOperation,
  type Host,
} from '../../placement/proto/placement.js';
import { placementStateJson } from '../../placement/server/state.js';
import { buildGoPlacement, type GoPlacement } from '../harness/goplacement.js';

let go: GoPlacement;
beforeAll(async () => {
  go = await buildGoPlacement();
}, 300_000);
afterAll(() => go?.dispose());

const ids = [
  ...Array.from({ length: 2000 }, (_, i) => String(i)),
  ...Array.from({ length: 200 }, (_, i) => `actor-${i}`),
  '',
  'user/123',
  'ĀéЖ',
  '10.0.0.2:500020',
  '10.0.0.3:5000242',
];

describe('placement §2 ring: same owners as daprd v1.18.3 (hashing.NewFromExisting + Get)', () => {
  const cases: [string, string[], number][] = [
    ['three pod IPs, RF 100', ['10.0.0.1:50002', '10.0.0.2:50002', '10.0.0.3:50002'], 100],
    ['three pod IPs, RF 1', ['10.0.0.1:50002', '10.0.0.2:50002', '10.0.0.3:50002'], 1],
    ['three pod IPs, RF 3', ['10.0.0.1:50002', '10.0.0.2:50002', '10.0.0.3:50002'], 3],
    ['node1..node5, RF 100', ['node1', 'node2', 'node3', 'node4', 'node5'], 100],
    ['IPv6 bracketed, RF 100', ['[fd00::1]:50002', '[fd00::2]:50002', '[fd00::a:3]:50002'], 100],
    ['40 pods, RF 100', Array.from({ length: 40 }, (_, i) => `10.244.${i % 4}.${i + 10}:50002`), 100],
    ['one host, RF 7', ['10.0.0.1:50002'], 7],
  ];
  it.each(cases)('%s', async (_name, hosts, rf) => {
    const answer = await go.ask<{ owners: string[] }>({ ring: { hosts, rf, ids } });
    const ring = HashRing.fromHosts(hosts, rf);
    expect(ids.map((id) => ring.lookup(id).host)).toEqual(answer.owners);
  });

  it('an empty ring fails in both with "no hosts added"', async () => {
    const answer = await go.ask<{ owners: string[] }>({ ring: { hosts: [], rf: 100, ids: ['x'] } });
    expect(answer.owners).toEqual(['error: no hosts added']);
    expect(() => HashRing.fromHosts([], 100).lookup('x')).toThrow('no hosts added');
  });
});

interface OrderAnswer {
  operation: string;
  version: number;
  hasTables: boolean;
  tablesVersion: string;
  replicationFactor: number;
  loadMaps: Record<string, Record<string, string>>;
  owners: Record<string, string[]>;
}

describe('placement §1.4 orders as daprd decodes them (placementv1.PlacementOrder)', () => {
  it('an UPDATE built by the loops decodes in Go to the same table, and routes to the same owners', async () => {
    const sim = new Sim();
    const a = sim.connect({ name: '10.0.0.1:50002', id: 'a', entities: ['X', 'Y'] });
    sim.connect({ name: '10.0.0.2:50002', id: 'b', entities: ['X'] });
    sim.connect({ name: '[fd00::3]:50002', id: 'c', entities: ['X', 'dapr.internal.default.c.workflow'] });
    sim.connect({ name: '10.0.0.9:50002', id: 'noactors' });
    sim.deliver();
    const update = a.received.filter((o) => o.operation === 'update').at(-1)!;
    const answer = await go.ask<OrderAnswer>({ order: encodeOrder(update).toString('base64'), ids });
    expect(answer.operation).toBe('update');
    expect(answer.version).toBe(update.version);
    expect(answer.tablesVersion).toBe(String(update.version));
    expect(answer.replicationFactor).toBe(100);
    expect(answer.loadMaps).toEqual({
      X: {
        '10.0.0.1:50002': '10.0.0.1:50002|a',
        '10.0.0.2:50002': '10.0.0.2:50002|b',
        '[fd00::3]:50002': '[fd00::3]:50002|c',
      },
      Y: { '10.0.0.1:50002': '10.0.0.1:50002|a' },
      'dapr.internal.default.c.workflow': { '[fd00::3]:50002': '[fd00::3]:50002|c' },
    });
    const rings = new ActorRings(
      new Map([...update.tables!.entries].map(([t, table]) => [t, table.loadMap])),
      100,
    );
    for (const [type, owners] of Object.entries(answer.owners))
      expect([type, ids.map((id) => rings.lookup(type, id).host)]).toEqual([type, owners]);
  });

  it.each(['lock', 'unlock'] as const)('%s carries the version and no tables', async (operation) => {
    const answer = await go.ask<OrderAnswer>({
      order: encodeOrder({ operation, version: 5 }).toString('base64'),
      ids: [],
    });
    expect([answer.operation, answer.version, answer.hasTables]).toEqual([operation, 5, false]);
  });

  it('version 0 on an empty-namespace push decodes as 0 with replication factor 100', async () => {
    const order = encodeOrder({
      operation: 'update',
      version: 0,
      tables: { entries: new Map(), version: '0', apiLevel: 0, replicationFactor: 100 },
    });
    const answer = await go.ask<OrderAnswer>({ order: order.toString('base64'), ids: [] });
    expect([answer.version, answer.hasTables, answer.tablesVersion, answer.replicationFactor]).toEqual([
      0,
      true,
      '0',
      100,
    ]);
  });
});

describe('placement §1.3 messages as daprd encodes them (placementv1.Host)', () => {
  const report: Host = {
    ...emptyHost(),
    name: '10.244.1.7:50002',
    id: 'myapp',
    apiLevel: 20,
    namespace: 'default',
    entities: ['X', 'Y'],
    operation: HostOperation.REPORT,
  };
  const ack = (operation: number, version: number): Host => ({
    ...emptyHost(),
    id: 'myapp',
    namespace: 'default',
    operation,
    version,
  });

  it.each<[string, Host]>([
    ['a REPORT (no version)', report],
    ['a LOCK ack of version 0 (version present)', ack(HostOperation.LOCK, 0)],
    ['an UPDATE ack', ack(HostOperation.UPDATE, 7)],
    ['an UNLOCK ack of a large version', ack(HostOperation.UNLOCK, 2 ** 40)],
  ])('%s: Go bytes decode to it, and we encode the same bytes', async (_name, host) => {
    const { bytes } = await go.ask<{ bytes: string }>({ host: { ...host, version: host.version ?? null } });
    const goBytes = Buffer.from(bytes, 'base64');
    expect(decodeHost(goBytes)).toEqual(host);
    expect(encodeHost(host)).toEqual(goBytes);
  });
});

describe('placement §6 /placement/state body as Go encoding/json writes StatePlacementTables', () => {
  const host = (name: string, id: string, entities: string[]): Host => ({
    ...emptyHost(),
    name,
    id,
    apiLevel: 20,
    namespace: 'default',
    entities,
    operation: HostOperation.REPORT,
  });

  it('hosts sorted by name, zero fields omitted, enums as numbers, namespaces sorted, HTML-safe escapes', async () => {
    const state = new Map([
      [
        'prod',
        {
          hosts: [host('10.0.0.2:50002', 'b<&>', ['Y']), host('10.0.0.1:50002', 'a', ['X', 'ĀéЖ'])],
          version: 2,
        },
      ],
      ['default', { hosts: [], version: 0 }],
      [
        'acks',
        {
          hosts: [{ ...emptyHost(), id: 'x', namespace: 'acks', operation: HostOperation.LOCK, version: 0 }],
          version: 1,
        },
      ],
    ]);
    const sortedForGo = Object.fromEntries(
      [...state].map(([ns, t]) => [
        ns,
        {
          hosts: [...t.hosts]
            .sort((a, b) => (a.name < b.name ? -1 : 1))
            .map((h) => ({ ...h, version: h.version ?? null })),
          version: t.version,
        },
      ]),
    );
    const { json } = await go.ask<{ json: string }>({ state: sortedForGo });
    expect(placementStateJson(state)).toBe(json);
  });

  it('no namespaces is {}, and a follower says null', async () => {
    const { json } = await go.ask<{ json: string }>({ state: {} });
    expect(placementStateJson(new Map())).toBe(json);
    expect(placementStateJson(undefined)).toBe('null');
  });
});
