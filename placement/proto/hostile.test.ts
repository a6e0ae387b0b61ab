// The placement codec on untrusted bytes (issue 15): Host messages come from any sidecar, orders
// are what daprd decodes; both return or throw ProtoError, in time linear in the message.
import { describe, expect, it } from '@jest/globals';
import {
  decodeHost,
  decodeOrder,
  decodeTables,
  emptyHost,
  encodeHost,
  encodeOrder,
  HostOperation,
} from './placement.js';
import { ProtoError } from '../../kit/proto/wire.js';
import {
  assertDecodesOrRefuses,
  growth,
  LINEAR_RATIO_LIMIT,
  mutatedBytes,
} from '../../kit/testing/hostile.js';

const HOST = encodeHost({
  ...emptyHost(),
  name: '10.0.0.1:50002',
  id: 'app',
  namespace: 'default',
  entities: ['A', 'B'],
  apiLevel: 20,
  operation: HostOperation.REPORT,
  version: 3,
});
const table = (types: number): Parameters<typeof encodeOrder>[0] => ({
  operation: 'update',
  version: 4,
  tables: {
    entries: new Map(
      Array.from({ length: types }, (_, i) => [
        `type${i}`,
        { loadMap: new Map([['10.0.0.1:50002', { ...emptyHost(), name: '10.0.0.1:50002', id: 'app' }]]) },
      ]),
    ),
    version: '4',
    apiLevel: 20,
    replicationFactor: 100,
  },
});
const ORDER = encodeOrder(table(2));

describe('placement codec on hostile bytes (issue 15)', () => {
  it('property: decodeHost, decodeOrder and decodeTables return or throw ProtoError', () => {
    const clear = (err: unknown): boolean => err instanceof ProtoError;
    assertDecodesOrRefuses(mutatedBytes([HOST]), decodeHost, clear);
    assertDecodesOrRefuses(mutatedBytes([ORDER]), decodeOrder, clear);
    assertDecodesOrRefuses(mutatedBytes([ORDER]), decodeTables, clear);
  });

  it('time grows linearly: a host with many actor types', async () => {
    const host = (n: number): Buffer =>
      encodeHost({
        ...emptyHost(),
        name: 'h',
        id: 'a',
        namespace: 'n',
        entities: Array.from({ length: n }, (_, i) => `t${i}`),
      });
    const g = await growth(host, (b) => decodeHost(b), 20_000);
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });

  it('time grows linearly: an order with many table entries', async () => {
    const g = await growth(
      (n) => encodeOrder(table(n)),
      (b) => decodeOrder(b),
      10_000,
    );
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
