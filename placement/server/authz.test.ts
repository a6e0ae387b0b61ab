import { describe, expect, it } from '@jest/globals';
import { emptyHost, HostOperation, type Host } from '../proto/placement.js';
import { callerFromCertificate, type WorkloadCaller } from '../../kit/security/workload-caller.js';
import { certificateWithSans, type SanEntry } from '../../kit/testing/san-certificate.js';
import { authorizeHost } from './authz.js';

const report: Host = {
  ...emptyHost(),
  name: '10.0.0.1:50002',
  id: 'myapp',
  namespace: 'default',
  entities: ['X'],
  apiLevel: 20,
  operation: HostOperation.REPORT,
};
const me: WorkloadCaller = { namespace: 'default', appId: 'myapp' };

describe('placement §3 validation on every message, in order', () => {
  it.each<
    [string, boolean, WorkloadCaller | undefined, Partial<Host>, string | undefined, string | undefined]
  >([
    ['a daprd REPORT matching its certificate is allowed', true, me, {}, undefined, undefined],
    [
      'an ack (op/version/id/namespace only) is allowed',
      true,
      me,
      { name: '', entities: [], operation: HostOperation.LOCK, version: 3 },
      undefined,
      undefined,
    ],
    ['without mTLS any id is allowed', false, undefined, { id: 'other' }, undefined, undefined],
    [
      '1. mTLS without a SPIFFE ID is Unauthenticated',
      true,
      undefined,
      {},
      'unauthenticated',
      'failed to get client ID from context',
    ],
    [
      '2. UNKNOWN operation with a version is InvalidArgument',
      true,
      me,
      { operation: HostOperation.UNKNOWN, version: 0 },
      'invalidArgument',
      'both operation and version must be set or both must be unset',
    ],
    [
      '2. UNKNOWN operation without a version is a legacy client, allowed',
      true,
      me,
      { operation: HostOperation.UNKNOWN },
      undefined,
      undefined,
    ],
    [
      '3. empty id is InvalidArgument, even before the identity check',
      true,
      me,
      { id: '' },
      'invalidArgument',
      'host ID and namespace must be provided',
    ],
    [
      '3. empty namespace is InvalidArgument without mTLS too',
      false,
      undefined,
      { namespace: '' },
      'invalidArgument',
      'host ID and namespace must be provided',
    ],
    [
      '4. a stream claiming another app id is PermissionDenied',
      true,
      me,
      { id: 'victim' },
      'permissionDenied',
      "provided app ID victim doesn't match the one in the SPIFFE ID (myapp)",
    ],
    [
      '4. a stream claiming another namespace is PermissionDenied',
      true,
      me,
      { namespace: 'prod' },
      'permissionDenied',
      "provided client namespace prod doesn't match the one in the SPIFFE ID (default)",
    ],
    [
      '5. dapr.internal.<ns>.<id>.workflow is allowed for its own app',
      true,
      me,
      { entities: ['dapr.internal.default.myapp.workflow'] },
      undefined,
      undefined,
    ],
    [
      '5. dapr.internal.<ns>.<id> exactly is allowed',
      true,
      me,
      { entities: ['dapr.internal.default.myapp'] },
      undefined,
      undefined,
    ],
    [
      "5. another app's workflow type is PermissionDenied",
      true,
      me,
      { entities: ['X', 'dapr.internal.default.other.workflow'] },
      'permissionDenied',
      'entity dapr.internal.default.other.workflow is not allowed for app ID myapp in namespace default',
    ],
    [
      '5. the reserved-type rule holds without mTLS',
      false,
      undefined,
      { entities: ['dapr.internal.foo.bar'] },
      'permissionDenied',
      'entity dapr.internal.foo.bar is not allowed for app ID myapp in namespace default',
    ],
    [
      '5. "dapr.internal" is rejected',
      false,
      undefined,
      { entities: ['dapr.internal'] },
      'permissionDenied',
      undefined,
    ],
    [
      '5. "dapr.internal." is rejected',
      false,
      undefined,
      { entities: ['dapr.internal.'] },
      'permissionDenied',
      undefined,
    ],
    [
      '5. "dapr.internal.default." is rejected',
      false,
      undefined,
      { entities: ['dapr.internal.default.'] },
      'permissionDenied',
      undefined,
    ],
    [
      '5. "dapr.internalX.y" is an ordinary type',
      false,
      undefined,
      { entities: ['dapr.internalX.y', 'dapr'] },
      undefined,
      undefined,
    ],
  ])('%s', (_name, mtls, ...[caller, patch, kind, message]) => {
    const err = authorizeHost({ mtls, caller, host: { ...report, ...patch } });
    expect(err?.kind).toBe(kind);
    if (message !== undefined) expect(err?.message).toBe(message);
  });
});

describe('placement §3 caller identity from the peer certificate', () => {
  const uri = (value: string): SanEntry => ({ type: 'url', value });
  const dns = (value: string): SanEntry => ({ type: 'dns', value });
  it.each<[string, SanEntry[] | undefined, WorkloadCaller | undefined]>([
    ['a daprd SVID', [uri('spiffe://public/ns/default/myapp')], { namespace: 'default', appId: 'myapp' }],
    ['any trust domain is accepted', [uri('spiffe://other.td/ns/prod/x')], { namespace: 'prod', appId: 'x' }],
    ['extra path segments are refused', [uri('spiffe://public/ns/default/myapp/extra')], undefined],
    [
      'DNS names beside the URI are ignored',
      [dns('localhost'), uri('spiffe://public/ns/default/myapp')],
      { namespace: 'default', appId: 'myapp' },
    ],
    [
      'a DNS name spelling a URI entry is only a DNS name',
      [dns('x, URI:spiffe://td/ns/victim/app, DNS:y')],
      undefined,
    ],
    ['no certificate', undefined, undefined],
    ['no SAN', [], undefined],
    ['no URI SAN', [dns('localhost')], undefined],
    ['two URI SANs', [uri('spiffe://a/ns/x/y'), uri('spiffe://a/ns/x/z')], undefined],
    ['not /ns/<ns>/<id>', [uri('spiffe://public/dapr-placement')], undefined],
    ['empty app id', [uri('spiffe://public/ns/default/')], undefined],
    ['not SPIFFE', [uri('https://public/ns/default/myapp')], undefined],
  ])('%s', async (_name, sans, want) => {
    const cert = sans === undefined ? undefined : { raw: await certificateWithSans(sans) };
    expect(callerFromCertificate(cert)).toEqual(want);
  });
});
