import { describe, expect, it } from '@jest/globals';
import { commonViolations, validateCommon } from './common.js';
import { signRequest } from './testing/sign-request.js';
import { SentryError } from '../errors.js';

describe('sentry §4 common request rules', () => {
  it.each([
    ['an empty id', { id: '' }, ['id is required']],
    ['an id with a dot', { id: 'my.app' }, ['id must not contain dots']],
    ['a 65-character id', { id: 'a'.repeat(65) }, ['app ID must be 64 characters or less']],
    ['an id of 64 characters', { id: 'a'.repeat(64) }, []],
    [
      'an id of 33 two-byte characters (Go counts bytes)',
      { id: 'é'.repeat(33) },
      ['app ID must be 64 characters or less'],
    ],
    ['an empty CSR', { certificateSigningRequest: Buffer.alloc(0) }, ['CSR is required']],
    ['an empty namespace', { namespace: '' }, ['namespace is required']],
    [
      'several problems at once',
      { id: `${'a'.repeat(64)}.`, namespace: '', certificateSigningRequest: Buffer.alloc(0) },
      [
        'id must not contain dots',
        'app ID must be 64 characters or less',
        'CSR is required',
        'namespace is required',
      ],
    ],
  ])('%s', (_name, overrides, want) => {
    expect(commonViolations(signRequest(overrides))).toEqual(want);
  });

  it('reports every violation in one PermissionDenied-kind error', () => {
    expect(() => validateCommon(signRequest({ id: '', namespace: '' }))).toThrow(
      new SentryError('validation', 'invalid request: id is required; namespace is required'),
    );
  });

  it('returns the requested trust domain, or public when none is named', () => {
    expect(validateCommon(signRequest())).toBe('public');
    expect(validateCommon(signRequest({ trustDomain: 'example.org' }))).toBe('example.org');
    expect(validateCommon(signRequest({ trustDomain: 'spiffe://example.org/x' }))).toBe('example.org');
  });

  it('refuses a trust domain that does not parse', () => {
    expect(() => validateCommon(signRequest({ trustDomain: 'Bad Domain' }))).toThrow(/invalid trust domain/);
  });
});
