import { describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { authorize } from './authz.js';
import { callerFromSubjectAltName } from '../../kit/security/workload-caller.js';

describe('operator identity and the namespace gate (operator.md §1.4)', () => {
  it('reads namespace and app-id from the one SPIFFE URI SAN, in any trust domain', () => {
    expect(callerFromSubjectAltName('URI:spiffe://public/ns/team/orders')).toEqual({
      namespace: 'team',
      appId: 'orders',
    });
    expect(callerFromSubjectAltName('DNS:x.svc, URI:spiffe://cluster.local/ns/a/b/extra')).toEqual({
      namespace: 'a',
      appId: 'b',
    });
  });

  it('rejects no SAN, several URIs, other paths and malformed IDs', () => {
    for (const san of [
      undefined,
      '',
      'DNS:only',
      'URI:spiffe://td/ns/a/b, URI:spiffe://td/ns/a/c',
      'URI:spiffe://td/other/a/b',
      'URI:spiffe://td/ns/a',
      'URI:https://td/ns/a/b',
    ])
      expect(callerFromSubjectAltName(san)).toBeUndefined();
  });

  it('PERMISSION_DENIED without an identity, for an empty namespace and for another namespace', () => {
    const caller = { namespace: 'team', appId: 'orders' };
    expect(authorize(caller, 'team')).toBe(caller);
    expect(() => authorize(undefined, 'team')).toThrow(
      expect.objectContaining({ code: status.PERMISSION_DENIED, message: 'failed to determine identity' }),
    );
    expect(() => authorize(caller, '')).toThrow(expect.objectContaining({ code: status.PERMISSION_DENIED }));
    expect(() => authorize(caller, 'default')).toThrow(
      expect.objectContaining({
        message: 'identity does not match requested namespace exp=default got=team',
      }),
    );
  });
});
