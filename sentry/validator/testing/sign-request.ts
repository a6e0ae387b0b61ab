// Test helper: a well-formed request whose fields each test overrides.
import type { SignCertificateRequest } from '../../../kit/proto/sentry.js';

export function signRequest(overrides: Partial<SignCertificateRequest> = {}): SignCertificateRequest {
  return {
    id: 'myapp',
    token: '',
    trustDomain: '',
    namespace: 'default',
    certificateSigningRequest: Buffer.from('csr'),
    tokenValidator: 0,
    jwtAudiences: [],
    ...overrides,
  };
}
