// The operator codec on untrusted bytes (issue 15): requests come from any sidecar; each
// returns or throws ProtoError, in time linear in the message.
import { describe, expect, it } from '@jest/globals';
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
} from './operator.js';
import { ProtoError } from '../../kit/proto/wire.js';
import {
  assertDecodesOrRefuses,
  growth,
  LINEAR_RATIO_LIMIT,
  mutatedBytes,
} from '../../kit/testing/hostile.js';

const clear = (err: unknown): boolean => err instanceof ProtoError;

describe('operator codec on hostile bytes (issue 15)', () => {
  it.each(METHOD_NAMES)('property: %s requests decode or throw ProtoError', (method) => {
    const seed = encodeRequest(method, { namespace: 'default', name: 'component' });
    assertDecodesOrRefuses(mutatedBytes([seed]), (b) => decodeRequest(method, b), clear);
  });

  it('property: lists, objects and events decode or throw ProtoError', () => {
    const json = Buffer.from('{"kind":"Component"}');
    assertDecodesOrRefuses(mutatedBytes([encodeList([json, json])]), decodeList, clear);
    assertDecodesOrRefuses(mutatedBytes([encodeObject(json)]), decodeObject, clear);
    assertDecodesOrRefuses(mutatedBytes([encodeEvent({ object: json, type: 1 })]), decodeEvent, clear);
  });

  it('time grows linearly: a list of many objects, a request with many unknown fields', async () => {
    const list = await growth(
      (n) => encodeList(Array.from({ length: n }, () => Buffer.from('{}'))),
      (b) => decodeList(b),
      50_000,
    );
    expect(list.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
    const seed = encodeRequest('ListComponents', { namespace: 'default' });
    const request = await growth(
      (n) => Buffer.concat(Array.from({ length: n }, () => seed)),
      (b) => decodeRequest('ListComponents', b),
      50_000,
    );
    expect(request.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
