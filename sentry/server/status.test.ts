import { describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { SentryError, type SentryErrorKind } from '../errors.js';
import { toStatus } from './status.js';

describe('sentry §1 error kinds map to gRPC codes in one place', () => {
  it.each([
    ['noValidator', status.INVALID_ARGUMENT],
    ['validatorNotEnabled', status.INVALID_ARGUMENT],
    ['validation', status.PERMISSION_DENIED],
    ['unavailable', status.UNAVAILABLE],
    ['invalidCsr', status.INVALID_ARGUMENT],
    ['csrParse', status.INVALID_ARGUMENT],
    ['csrSignature', status.INVALID_ARGUMENT],
    ['sign', status.INTERNAL],
  ] as [SentryErrorKind, status][])('%s → %s, with the message and reason "sign"', (kind, code) => {
    expect(toStatus(new SentryError(kind, 'why'))).toMatchObject({ code, details: 'why', reason: 'sign' });
  });

  it('anything else is INTERNAL with opaque text (the real error is only logged)', () => {
    expect(toStatus(new Error('secret detail'))).toEqual({
      code: status.INTERNAL,
      details: 'internal error',
      reason: 'sign',
      expected: false,
    });
  });
});
