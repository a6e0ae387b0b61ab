import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { generateBundle } from '../ca/bundle.js';
import { CertificateAuthority } from '../ca/ca.js';
import { createCsrPem } from '../../kit/x509/csr-builder.js';
import { privateKey } from '../ca/testing/keys.js';
import { SentryError } from '../errors.js';
import { TokenValidator } from '../../kit/proto/sentry.js';
import { FakeValidator } from '../validator/testing/fake-validator.js';
import { signRequest } from '../validator/testing/sign-request.js';
import { SignService, type SignServiceOptions } from './sign.js';

const bundle = generateBundle({
  trustDomain: 'cluster.local',
  controlPlaneNamespace: 'dapr-system',
  allowedClockSkewMs: 0,
});
const ca = new CertificateAuthority({ bundle, workloadCertTtlMs: 3_600_000, allowedClockSkewMs: 0 });
const csr = createCsrPem(privateKey('ed25519'));

function service(overrides: Partial<SignServiceOptions> = {}): SignService {
  return new SignService({
    validators: new Map([[TokenValidator.JWKS, new FakeValidator()]]),
    defaultValidator: TokenValidator.UNKNOWN,
    ca: () => ca,
    controlPlaneNamespace: 'dapr-system',
    clusterDomain: 'cluster.local',
    ...overrides,
  });
}

describe('sentry §1 request pipeline', () => {
  it('without a default, a request naming no validator is refused (self-hosted jwks-only)', async () => {
    await expect(service().sign(signRequest({ certificateSigningRequest: csr }))).rejects.toMatchObject({
      kind: 'noValidator',
      message: 'a validator name must be specified in this environment',
    });
  });

  it('validates before reading the CSR: a denied request with a bad CSR is PermissionDenied-kind', async () => {
    const denied = new FakeValidator().withError(new SentryError('validation', 'no'));
    const s = service({ validators: new Map([[TokenValidator.JWKS, denied]]) });
    await expect(
      s.sign(
        signRequest({ tokenValidator: TokenValidator.JWKS, certificateSigningRequest: Buffer.from('bad') }),
      ),
    ).rejects.toMatchObject({
      kind: 'validation',
    });
  });

  it('the identity’s trust domain is the validator’s answer', async () => {
    const validator = new FakeValidator().withTrustDomain('td.example');
    const s = service({ validators: new Map([[TokenValidator.JWKS, validator]]) });
    const res = await s.sign(
      signRequest({
        tokenValidator: TokenValidator.JWKS,
        certificateSigningRequest: csr,
        trustDomain: 'ignored',
      }),
    );
    expect(res.workloadCertificate.toString()).toContain('BEGIN CERTIFICATE');
    expect(validator.requests).toHaveLength(1);
  });

  it('is unavailable (retryable) while no CA is loaded', async () => {
    const s = service({ ca: () => undefined, defaultValidator: TokenValidator.JWKS });
    await expect(s.sign(signRequest({ certificateSigningRequest: csr }))).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });
});

describe('in-process signing (the all-in-one mode, docs/all-in-one.md)', () => {
  const inProcess = {
    namespace: 'dapr-system',
    trustDomain: 'cluster.local',
    controlPlaneTrustDomain: 'cluster.local',
    csrPem: csr,
  };

  it('signs a control-plane id in sentry’s namespace without any validator', async () => {
    const s = service({ validators: new Map() });
    const res = await s.signInProcess({ ...inProcess, id: 'dapr-placement' });
    const leaf = new X509Certificate(res.workloadCertificate);
    expect(leaf.subjectAltName).toContain('spiffe://cluster.local/ns/dapr-system/dapr-placement');
    expect(res.trustChainCertificates[0]).toEqual(bundle.trustAnchorsPem);
  });

  it.each([
    ['a workload id', { id: 'orders' }],
    ['another namespace', { id: 'dapr-operator', namespace: 'team' }],
    ['another trust domain', { id: 'dapr-injector', trustDomain: 'td.example' }],
  ])('refuses %s', async (_what, overrides) => {
    await expect(service().signInProcess({ ...inProcess, ...overrides })).rejects.toMatchObject({
      kind: 'validation',
    });
  });
});
