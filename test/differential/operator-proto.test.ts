import { describe, expect, it } from '@jest/globals';
import protobuf from 'protobufjs';
import { fieldTable, loadUpstreamProtos, methodTable } from '../harness/upstream-proto.js';
import {
  decodeEvent,
  decodeList,
  decodeObject,
  decodeRequest,
  encodeEvent,
  encodeList,
  encodeObject,
  encodeRequest,
  METHOD_NAMES,
  METHODS,
  methodPath,
  RESERVED,
  RESOURCE_ENUMS,
  RESOURCE_SCHEMA,
  ResourceEventType,
  SCHEMA,
} from '../../operator/proto/operator.js';

const root = loadUpstreamProtos([
  'dapr/proto/operator/v1/operator.proto',
  'dapr/proto/operator/v1/resource.proto',
]);
const PKG = 'dapr.proto.operator.v1';
const type = (name: string): protobuf.Type =>
  root.lookupType(name.startsWith('google.') ? name : `${PKG}.${name}`);

describe('operator §1.1–1.2 wire schema: parity with dapr v1.18.3 operator.proto and resource.proto', () => {
  it('Operator has the 16 methods, in order, with the same request/response types and streaming', () => {
    const service = root.lookupService(`${PKG}.Operator`);
    const ours = METHOD_NAMES.map((name) => {
      const m = METHODS[name];
      return [name, m.request, m.response, false, m.shape === 'event'];
    });
    expect(methodTable(service)).toEqual(ours);
    expect(ours).toHaveLength(16);
    expect(methodPath('ListComponents')).toBe('/dapr.proto.operator.v1.Operator/ListComponents');
  });

  it.each(Object.keys(SCHEMA) as (keyof typeof SCHEMA)[])(
    '%s: every field name, number, type and label match',
    (name) => {
      expect(fieldTable(type(name))).toEqual(SCHEMA[name]);
    },
  );

  it('ResourceResult (resource.proto) matches', () => {
    expect(fieldTable(type('ResourceResult'))).toEqual(RESOURCE_SCHEMA.ResourceResult);
  });

  it('the messages are exactly those of the schema, no more', () => {
    const ns = root.lookup(PKG) as protobuf.Namespace;
    const messages = ns.nestedArray.filter((n) => n instanceof protobuf.Type).map((n) => n.name);
    expect(messages.sort()).toEqual([...Object.keys(SCHEMA), ...Object.keys(RESOURCE_SCHEMA)].sort());
  });

  it('reserved numbers and names match', () => {
    const ns = root.lookup(PKG) as protobuf.Namespace;
    const withReserved: Record<string, (number | string)[]> = {};
    for (const n of ns.nestedArray) {
      if (!(n instanceof protobuf.Type) || !n.reserved?.length) continue;
      withReserved[n.name] = n.reserved.map((r) => (Array.isArray(r) ? r[0]! : r)).sort();
    }
    const sorted = Object.fromEntries(Object.entries(RESERVED).map(([k, v]) => [k, [...v].sort()]));
    expect(withReserved).toEqual(sorted);
  });

  it('enum values match', () => {
    expect(root.lookupEnum(`${PKG}.ResourceEventType`).values).toEqual({ ...ResourceEventType });
    for (const [name, values] of Object.entries(RESOURCE_ENUMS))
      expect(root.lookupEnum(`${PKG}.${name}`).values).toEqual(values);
  });
});

describe('operator codecs interoperate with a reference protobuf implementation', () => {
  it.each(METHOD_NAMES.filter((m) => METHODS[m].request !== 'google.protobuf.Empty'))(
    '%s request: what protobufjs encodes we decode, and the other way round',
    (method) => {
      const T = type(METHODS[method].request);
      const hasName = METHODS[method].nameField !== 0;
      const object = { namespace: 'team-a', ...(hasName ? { name: 'appconfig' } : {}) };
      const bytes = Buffer.from(T.encode(T.fromObject(object)).finish());
      expect(decodeRequest(method, bytes)).toEqual({ namespace: 'team-a', name: hasName ? 'appconfig' : '' });
      expect(encodeRequest(method, { namespace: 'team-a', name: 'appconfig' })).toEqual(bytes);
    },
  );

  it('ListSubscriptionsV2 reads the namespace from field 2, never from the reserved field 1', () => {
    const withOld = Buffer.from([0x0a, 0x01, 0x78, 0x12, 0x02, 0x6e, 0x73]); // 1:"x", 2:"ns"
    expect(decodeRequest('ListSubscriptionsV2', withOld)).toEqual({ namespace: 'ns', name: '' });
  });

  it('list, object and event responses decode with protobufjs to the same bytes and types', () => {
    const a = Buffer.from('{"kind":"Component"}');
    const b = Buffer.from('{"kind":"Component","metadata":{"name":"b"}}');
    const list = type('ListComponentResponse').decode(encodeList([a, b])) as unknown as {
      components: Uint8Array[];
    };
    expect(list.components.map((c) => Buffer.from(c).toString())).toEqual([a.toString(), b.toString()]);
    expect(decodeList(encodeList([a, b]))).toEqual([a, b]);

    const cfg = type('GetConfigurationResponse').decode(encodeObject(a)) as unknown as {
      configuration: Uint8Array;
    };
    expect(Buffer.from(cfg.configuration)).toEqual(a);
    expect(decodeObject(encodeObject(a))).toEqual(a);
    expect(encodeObject(Buffer.alloc(0))).toHaveLength(0);

    for (const name of [
      'ComponentUpdateEvent',
      'HTTPEndpointUpdateEvent',
      'WorkflowAccessPolicyUpdateEvent',
    ]) {
      const T = type(name);
      const encoded = encodeEvent({ object: b, type: ResourceEventType.DELETED });
      const decoded = T.toObject(T.decode(encoded)) as Record<string, unknown>;
      const [bytesField] = SCHEMA[name as 'ComponentUpdateEvent'][0];
      expect(Buffer.from(decoded[bytesField] as Uint8Array)).toEqual(b);
      expect(decoded.type).toBe(3);
      expect(decodeEvent(Buffer.from(T.encode(T.fromObject({ [bytesField]: b, type: 1 })).finish()))).toEqual(
        {
          object: b,
          type: 1,
        },
      );
    }
  });
});
