import { describe, expect, it } from '@jest/globals';
import {
  children,
  content,
  DerError,
  oid,
  readOid,
  readTime,
  readTlv,
  readWhole,
  sequence,
  TAG,
  unsignedInteger,
  x509Time,
  directoryString,
} from './der.js';

describe('DER encoding', () => {
  it('encodes positive integers minimally, adding a zero byte before a high bit', () => {
    expect(unsignedInteger(Buffer.from([0, 0, 1]))).toEqual(Buffer.from([2, 1, 1]));
    expect(unsignedInteger(Buffer.from([0x80]))).toEqual(Buffer.from([2, 2, 0, 0x80]));
    expect(unsignedInteger(Buffer.from([0, 0]))).toEqual(Buffer.from([2, 1, 0]));
  });

  it('round-trips object identifiers', () => {
    for (const id of ['1.2.840.113549.1.1.11', '2.5.29.17', '1.3.101.112', '2.16.840.1.101.3.4.2.1']) {
      expect(readOid(readTlv(oid(id), 0))).toBe(id);
    }
    expect(oid('2.5.4.10')).toEqual(Buffer.from('060355040a', 'hex'));
  });

  it('writes UTCTime before 2050 and GeneralizedTime from 2050, in whole seconds', () => {
    const t = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(content(readTlv(x509Time(t), 0)).toString()).toBe('260102030405Z');
    const late = new Date(Date.UTC(2050, 0, 1));
    expect(readTlv(x509Time(late), 0).tag).toBe(TAG.generalizedTime);
    expect(readTime(readTlv(x509Time(late), 0))).toEqual(late);
    expect(readTime(readTlv(x509Time(t), 0))).toEqual(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
  });

  it('uses long lengths above 127 bytes', () => {
    const big = sequence(Buffer.alloc(300));
    expect(big.subarray(0, 4)).toEqual(Buffer.from([0x30, 0x82, 0x01, 0x2c]));
    expect(children(readWhole(big, TAG.sequence))).toHaveLength(300 / 2);
  });

  it('picks PrintableString or UTF8String as Go does', () => {
    expect(directoryString('spiffe://cluster.local/ns/dapr-system/dapr-sentry')[0]).toBe(TAG.printableString);
    expect(directoryString('under_score')[0]).toBe(TAG.utf8String);
  });
});

describe('DER reading is as strict as Go', () => {
  it.each([
    ['indefinite length', '3080'],
    ['a non-minimal long length', '308101' + '00'],
    ['a truncated element', '300501'],
    ['a high tag number', '1f0100'],
  ])('rejects %s', (_name, hex) => {
    expect(() => readTlv(Buffer.from(hex, 'hex'), 0)).toThrow(DerError);
  });

  it('rejects trailing data after the outer element', () => {
    expect(() => readWhole(Buffer.from('300000', 'hex'), TAG.sequence)).toThrow('trailing data');
  });
});
