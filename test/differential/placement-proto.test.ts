import { describe, expect, it } from '@jest/globals';
import protobuf from 'protobufjs';
import { fieldTable, loadUpstreamProtos, methodTable } from '../harness/upstream-proto.js';
import {
  decodeHost,
  decodeOrder,
  emptyHost,
  encodeHost,
  encodeOrder,
  HostOperation,
  REPORT_DAPR_STATUS_PATH,
  SCHEMA,
  type Host,
  type PlacementOrder,
} from '../../placement/proto/placement.js';

const root = loadUpstreamProtos([
  'dapr/proto/placement/v1/placement.proto',
  'dapr/proto/placement/v1/state.proto',
]);
const type = (name: string): protobuf.Type => root.lookupType(`dapr.proto.placement.v1.${name}`);

describe('placement §1.1–1.2 wire schema: parity with dapr v1.18.3 placement.proto and state.proto', () => {
  it('Placement has exactly one bidirectional streaming method ReportDaprStatus(stream Host) returns (stream PlacementOrder)', () => {
    const service = root.lookupService('dapr.proto.placement.v1.Placement');
    expect(methodTable(service)).toEqual([['ReportDaprStatus', 'Host', 'PlacementOrder', true, true]]);
    expect(REPORT_DAPR_STATUS_PATH).toBe(`/${service.fullName.slice(1)}/ReportDaprStatus`);
  });

  it.each(Object.keys(SCHEMA) as (keyof typeof SCHEMA)[])(
    '%s: every field name, number, type and label match',
    (name) => {
      expect(fieldTable(type(name))).toEqual(SCHEMA[name]);
    },
  );

  it('the messages are exactly those of the schema, no more', () => {
    const ns = root.lookup('dapr.proto.placement.v1') as protobuf.Namespace;
    const messages = ns.nestedArray.filter((n) => n instanceof protobuf.Type).map((n) => n.name);
    expect(messages.sort()).toEqual(Object.keys(SCHEMA).sort());
  });

  it('Host.version is a presence-tracked optional uint64 (field 10)', () => {
    const f = type('Host').fields['version']!;
    expect([f.id, f.type, f.options?.proto3_optional]).toEqual([10, 'uint64', true]);
  });

  it('HostOperation values match', () => {
    expect(root.lookupEnum('dapr.proto.placement.v1.HostOperation').values).toEqual({ ...HostOperation });
  });
});

describe('placement §1.2 codec interoperates with a reference protobuf implementation', () => {
  const HostT = type('Host');
  const OrderT = type('PlacementOrder');

  it('a daprd REPORT encoded by protobufjs decodes to the same fields (version absent)', () => {
    const bytes = Buffer.from(
      HostT.encode(
        HostT.fromObject({
          name: '10.244.1.7:50002',
          id: 'myapp',
          api_level: 20,
          namespace: 'default',
          entities: ['X', 'Y'],
          operation: HostOperation.REPORT,
        }),
      ).finish(),
    );
    const host = decodeHost(bytes);
    expect(host).toEqual({
      ...emptyHost(),
      name: '10.244.1.7:50002',
      id: 'myapp',
      apiLevel: 20,
      namespace: 'default',
      entities: ['X', 'Y'],
      operation: HostOperation.REPORT,
    });
    expect('version' in host).toBe(false);
    expect(encodeHost(host)).toEqual(bytes);
  });

  it('an ack with version 0 keeps the presence of version', () => {
    const bytes = Buffer.from(
      HostT.encode(
        HostT.fromObject({ operation: HostOperation.LOCK, version: 0, id: 'a', namespace: 'ns' }),
      ).finish(),
    );
    expect(decodeHost(bytes).version).toBe(0);
    const back = HostT.decode(encodeHost(decodeHost(bytes))) as unknown as { version?: unknown };
    expect(Object.prototype.hasOwnProperty.call(back, 'version')).toBe(true);
  });

  it('an update order we encode reads back in protobufjs with load_map keyed by host name and RF', () => {
    const a: Host = { ...emptyHost(), name: '10.0.0.1:50002', id: 'a', entities: ['X'] };
    const order: PlacementOrder = {
      operation: 'update',
      version: 3,
      tables: {
        version: '3',
        apiLevel: 0,
        replicationFactor: 100,
        entries: new Map([['X', { loadMap: new Map([[a.name, a]]) }]]),
      },
    };
    const bytes = encodeOrder(order);
    const obj = OrderT.toObject(OrderT.decode(bytes), { longs: Number }) as Record<string, unknown>;
    expect(obj).toEqual({
      operation: 'update',
      version: 3,
      tables: {
        version: '3',
        replication_factor: 100,
        entries: {
          X: { load_map: { '10.0.0.1:50002': { name: '10.0.0.1:50002', id: 'a', entities: ['X'] } } },
        },
      },
    });
    expect(decodeOrder(bytes)).toEqual(order);
  });

  it('lock and unlock carry the version and no tables', () => {
    for (const operation of ['lock', 'unlock'] as const) {
      const obj = OrderT.toObject(OrderT.decode(encodeOrder({ operation, version: 7 })), { longs: Number });
      expect(obj).toEqual({ operation, version: 7 });
    }
  });

  it('an empty update (no actor types) still carries version string and replication_factor', () => {
    const bytes = encodeOrder({
      operation: 'update',
      version: 0,
      tables: { entries: new Map(), version: '0', apiLevel: 0, replicationFactor: 100 },
    });
    expect(OrderT.toObject(OrderT.decode(bytes), { longs: Number })).toEqual({
      operation: 'update',
      tables: { version: '0', replication_factor: 100 },
    });
  });

  it('deprecated sorted_set/hosts from another encoder are skipped; unknown fields too', () => {
    const TableT = type('PlacementTable');
    const raw = Buffer.from(
      OrderT.encode(
        OrderT.fromObject({
          operation: 'update',
          version: 1,
          tables: {
            entries: {
              X: TableT.toObject(
                TableT.fromObject({ hosts: { 5: 'h' }, sorted_set: [5, 9], load_map: { h: { name: 'h' } } }),
              ),
            },
          },
        }),
      ).finish(),
    );
    const order = decodeOrder(Buffer.concat([raw, Buffer.from([0xf8, 0x01, 0x05])]));
    expect([...order.tables!.entries.get('X')!.loadMap.keys()]).toEqual(['h']);
  });

  it('a large version round-trips exactly (below 2^53)', () => {
    const v = 2 ** 40 + 3;
    expect(decodeOrder(encodeOrder({ operation: 'lock', version: v })).version).toBe(v);
  });

  it('rejects invalid UTF-8 in string fields, as Go does', () => {
    expect(() => decodeHost(Buffer.from([0x0a, 0x01, 0xff]))).toThrow(/UTF-8/);
  });
});
