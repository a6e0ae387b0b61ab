import { describe, expect, it } from '@jest/globals';
import { status } from '@grpc/grpc-js';
import { authorize } from './authz.js';
import { callerFromCertificate } from '../../kit/security/workload-caller.js';
import { certificateWithSans } from '../../kit/testing/san-certificate.js';

describe('operator identity and the namespace gate (docs/contracts/operator.md §1.4)', () => {
  const certWith = async (...uris: string[]): Promise<{ raw: Buffer }> => ({
    raw: await certificateWithSans(uris.map((value) => ({ type: 'url', value }))),
  });

  it('reads namespace and app-id from the one SPIFFE URI SAN, in any trust domain', async () => {
    expect(callerFromCertificate(await certWith('spiffe://public/ns/team/orders'))).toEqual({
      namespace: 'team',
      appId: 'orders',
    });
    expect(callerFromCertificate(await certWith('spiffe://cluster.local/ns/a/b'))).toEqual({
      namespace: 'a',
      appId: 'b',
    });
  });

  it('rejects no SAN, several URIs, other paths, extra segments and malformed IDs', async () => {
    expect(callerFromCertificate(undefined)).toBeUndefined();
    expect(callerFromCertificate({ raw: await certificateWithSans([]) })).toBeUndefined();
    for (const uris of [
      [],
      ['spiffe://td/ns/a/b', 'spiffe://td/ns/a/c'],
      ['spiffe://td/other/a/b'],
      ['spiffe://td/ns/a'],
      ['spiffe://td/ns/a/b/extra'],
      ['https://td/ns/a/b'],
    ])
      expect(callerFromCertificate(await certWith(...uris))).toBeUndefined();
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
