import { describe, expect, it } from '@jest/globals';
import { ActorRings, HashRing, hashKey, RingError, virtualNodes } from './go-ring.js';

const H1 = '10.0.0.1:50002';
const H2 = '10.0.0.2:50002';
const H3 = '10.0.0.3:50002';
const short = { [H1]: '.1', [H2]: '.2', [H3]: '.3' } as Record<string, string>;

function ownersOf(ring: HashRing, id: string): string {
  return short[ring.lookup(id).host] ?? ring.lookup(id).host;
}

describe('placement §2.1 hash: BLAKE2b-512, first 8 bytes little-endian', () => {
  it.each([
    ['', 241225442164632184n],
    ['a', 1260069880423202611n],
    ['abc', 958453735928201402n],
    ['actor-1', 10015260465285814958n],
    ['10.0.0.1:500020', 7120362376346592644n],
  ])('§2.2(b) raw hash of %j is %s', (input, want) => {
    expect(hashKey(input)).toBe(want);
  });

  it('§2.1 pitfalls: the key 192.168.1.83:609920 gives the 512-bit LE value, not the 8-byte/256-bit/BE ones', () => {
    const v = hashKey('192.168.1.83:609920');
    expect(v).toBe(11414427053803968138n);
    expect([12505647898695742564n, 5283689136609059752n, 9950308518541158558n]).not.toContain(v);
  });
});

describe('placement §2.2 vnodes: hash(host + decimal(i)), no separator', () => {
  it.each([
    [
      '§2.2(a) Dapr TestGetAndSetVirtualNodeCacheHashes',
      '192.168.1.83:60992',
      5,
      [
        11414427053803968138n,
        6110756290993384529n,
        13876541546109691082n,
        12165331075625862737n,
        9528020266818944582n,
      ],
    ],
    [
      '§2.2(a) Dapr TestGetAndSetVirtualNodeCacheHashes',
      '192.168.1.89:62362',
      3,
      [13384490355354205375n, 11281728843146723001n, 694935339057032644n],
    ],
    ['§2.2(b) RF=3', H1, 3, [7120362376346592644n, 6505922788473134223n, 5797102724971694617n]],
    ['§2.2(b) RF=3', H2, 3, [9203486376198907635n, 13641153136638408813n, 15002447652713300714n]],
    ['§2.2(b) RF=3', H3, 3, [7388246905945336152n, 17246124860277091555n, 6155547249188943313n]],
  ])('%s: %s with RF %d', (_name, host, rf, want) => {
    expect(virtualNodes(host, rf)).toEqual(want);
  });
});

describe('placement §2.2(b) sorted ring and owners for 10.0.0.{1,2,3}:50002', () => {
  const rf1 = HashRing.fromHosts([H1, H2, H3], 1);
  const rf3 = HashRing.fromHosts([H1, H2, H3], 3);
  const rf100 = HashRing.fromHosts([H1, H2, H3], 100);
  const rf100without2 = rf100.withoutHost(H2);

  it('RF=3 sorted ring: ascending unsigned with owners', () => {
    expect(rf3.vnodes.map((v) => [v, short[rf3.ownerOfVnode(v)!]])).toEqual([
      [5797102724971694617n, '.1'],
      [6155547249188943313n, '.3'],
      [6505922788473134223n, '.1'],
      [7120362376346592644n, '.1'],
      [7388246905945336152n, '.3'],
      [9203486376198907635n, '.2'],
      [13641153136638408813n, '.2'],
      [15002447652713300714n, '.2'],
      [17246124860277091555n, '.3'],
    ]);
  });

  it('RF=1 ring is .1 < .3 < .2', () => {
    expect(rf1.vnodes.map((v) => short[rf1.ownerOfVnode(v)!])).toEqual(['.1', '.3', '.2']);
    expect(rf1.vnodes).toEqual([7120362376346592644n, 7388246905945336152n, 9203486376198907635n]);
  });

  it('RF=100 ring has 300 vnodes, smallest owned by .3 and largest by .1', () => {
    const v = rf100.vnodes;
    expect(v).toHaveLength(300);
    expect([v[0], short[rf100.ownerOfVnode(v[0]!)!]]).toEqual([124205688661879367n, '.3']);
    expect([v[299], short[rf100.ownerOfVnode(v[299]!)!]]).toEqual([18185047526332531417n, '.1']);
  });

  it.each([
    ['0', 13878215301362151913n, '.1', '.2', '.2', '.3'],
    ['1', 11971653999726161180n, '.1', '.2', '.3', '.3'],
    ['2', 6310439919022701253n, '.1', '.1', '.3', '.3'],
    ['3', 17332574438168426095n, '.1', '.1', '.2', '.3'],
    ['4', 3694043993765439464n, '.1', '.1', '.3', '.3'],
    ['5', 4857364522537482099n, '.1', '.1', '.3', '.3'],
    ['6', 18157626401525412493n, '.1', '.1', '.1', '.1'],
    ['7', 7196851527326090453n, '.3', '.3', '.1', '.1'],
    ['8', 14417230777721981569n, '.1', '.2', '.1', '.1'],
    ['9', 10727192113839036203n, '.1', '.2', '.2', '.3'],
    ['actor-1', 10015260465285814958n, '.1', '.2', '.1', '.1'],
    ['actor-2', 2764141328702138918n, '.1', '.1', '.3', '.3'],
    ['order-42', 8524104688578085683n, '.2', '.2', '.1', '.1'],
    ['user/123', 18363202808173397484n, '.1', '.1', '.3', '.3'],
    ['ĀéЖ', 1045724700983396139n, '.1', '.1', '.3', '.3'],
    ['', 241225442164632184n, '.1', '.1', '.1', '.1'],
  ])('actor %j (hash %s): RF1 %s, RF3 %s, RF100 %s, RF100 without .2 %s', (id, hash, ...owners) => {
    expect(hashKey(id)).toBe(hash);
    expect([ownersOf(rf1, id), ownersOf(rf3, id), ownersOf(rf100, id), ownersOf(rf100without2, id)]).toEqual(
      owners,
    );
  });

  it('"(wrap)" rows hash above the largest vnode and land on index 0', () => {
    for (const [ring, id] of [
      [rf1, '0'],
      [rf3, '3'],
      [rf100, 'user/123'],
    ] as const) {
      const v = ring.vnodes;
      expect(hashKey(id) > v[v.length - 1]!).toBe(true);
      expect(ring.lookup(id).host).toBe(ring.ownerOfVnode(v[0]!));
    }
  });

  it('exact hit: >= matters, "10.0.0.2:500020" is vnode 0 of .2 (RF 1 and 100), "10.0.0.3:5000242" is .3', () => {
    expect(hashKey('10.0.0.2:500020')).toBe(virtualNodes(H2, 1)[0]);
    expect(ownersOf(rf1, '10.0.0.2:500020')).toBe('.2');
    expect(ownersOf(rf100, '10.0.0.2:500020')).toBe('.2');
    expect(ownersOf(rf100, '10.0.0.3:5000242')).toBe('.3');
  });

  it('distribution sanity: ids 0..9999 split .1=3442, .2=3369, .3=3189', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10000; i++) {
      const o = ownersOf(rf100, String(i));
      counts[o] = (counts[o] ?? 0) + 1;
    }
    expect(counts).toEqual({ '.1': 3442, '.2': 3369, '.3': 3189 });
  });
});

describe('placement §2.2(b) other rings', () => {
  it("Dapr's test-node ring node1..node5, RF=100: ids 0..9", () => {
    const ring = HashRing.fromHosts(['node1', 'node2', 'node3', 'node4', 'node5'], 100);
    expect(Array.from({ length: 10 }, (_, i) => ring.lookup(String(i)).host)).toEqual([
      'node2',
      'node1',
      'node1',
      'node5',
      'node2',
      'node5',
      'node5',
      'node1',
      'node4',
      'node5',
    ]);
  });

  it('IPv6 bracketed hosts [fd00::1]:50002, [fd00::2]:50002, RF=100', () => {
    const ring = HashRing.fromHosts(['[fd00::1]:50002', '[fd00::2]:50002'], 100);
    const owner = (id: string): string => (ring.lookup(id).host === '[fd00::1]:50002' ? '::1' : '::2');
    expect(['0', '1', '2', '3', 'actor-1', 'order-42'].map(owner)).toEqual([
      '::1',
      '::2',
      '::1',
      '::2',
      '::1',
      '::1',
    ]);
  });
});

describe('placement §2.1 ring edges', () => {
  it('insertion order of hosts does not change ownership', () => {
    const a = HashRing.fromHosts([H1, H2, H3], 100);
    const b = HashRing.fromHosts([H3, H1, H2], 100);
    for (let i = 0; i < 200; i++) expect(a.lookup(String(i)).host).toBe(b.lookup(String(i)).host);
  });

  it('withHost/withoutHost are pure: adding back a removed host restores the ring', () => {
    const full = HashRing.fromHosts([H1, H2, H3], 100);
    const back = full.withoutHost(H2).withHost(H2, H2);
    expect(back.vnodes).toEqual(full.vnodes);
    expect(full.hosts).toEqual([H1, H2, H3]);
  });

  it('an empty ring, or RF 0, fails with "no hosts added"', () => {
    expect(() => HashRing.fromHosts([], 100).lookup('x')).toThrow(new RingError('no hosts added'));
    expect(() => HashRing.fromHosts([H1], 0).lookup('x')).toThrow('no hosts added');
  });

  it('a lookup returns the load_map value of the owner (name and app-id to dial)', () => {
    const loadMap = new Map([
      [H1, { name: H1, id: 'a' }],
      [H2, { name: H2, id: 'b' }],
      [H3, { name: H3, id: 'c' }],
    ]);
    const rings = new ActorRings(new Map([['X', loadMap]]));
    expect(rings.lookup('X', 'order-42')).toEqual({ host: H1, value: { name: H1, id: 'a' } });
    expect(rings.actorTypes).toEqual(['X']);
  });

  it('an actor type absent from the table is "did not find address for actor \'type/id\'"', () => {
    const rings = new ActorRings(new Map([['X', new Map([[H1, H1]])]]));
    expect(() => rings.lookup('Y', '7')).toThrow("did not find address for actor 'Y/7'");
  });
});
