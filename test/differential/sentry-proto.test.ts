import { describe, expect, it } from '@jest/globals';
import { fieldTable, loadUpstreamProtos, methodTable } from '../harness/upstream-proto.js';
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  SCHEMA,
  SIGN_CERTIFICATE_PATH,
  TokenValidator,
  type SignCertificateRequest,
} from '../../kit/proto/sentry.js';

const root = loadUpstreamProtos(['dapr/proto/sentry/v1/sentry.proto']);
const RequestType = root.lookupType('dapr.proto.sentry.v1.SignCertificateRequest');
const ResponseType = root.lookupType('dapr.proto.sentry.v1.SignCertificateResponse');

describe('sentry §1 wire schema: parity with dapr v1.18.3 sentry.proto', () => {
  it('has one unary service method CA/SignCertificate', () => {
    const service = root.lookupService('dapr.proto.sentry.v1.CA');
    expect(methodTable(service)).toEqual([
      ['SignCertificate', 'SignCertificateRequest', 'SignCertificateResponse', false, false],
    ]);
    expect(SIGN_CERTIFICATE_PATH).toBe(`/${service.fullName.slice(1)}/SignCertificate`);
  });

  it('SignCertificateRequest fields match name for name, number for number, type for type', () => {
    expect(fieldTable(RequestType)).toEqual(SCHEMA.SignCertificateRequest);
  });

  it('SignCertificateResponse fields match, including the Timestamp, StringValue and the map', () => {
    expect(fieldTable(ResponseType)).toEqual(SCHEMA.SignCertificateResponse);
  });

  it('TokenValidator values match', () => {
    expect(root.lookupEnum('dapr.proto.sentry.v1.SignCertificateRequest.TokenValidator').values).toEqual({
      ...TokenValidator,
    });
  });
});

describe('sentry §1 codec interoperates with a reference protobuf implementation', () => {
  const request: SignCertificateRequest = {
    id: 'myapp',
    token: 'tok.en.x',
    trustDomain: 'public',
    namespace: 'default',
    certificateSigningRequest: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n...'),
    tokenValidator: TokenValidator.KUBERNETES,
    jwtAudiences: ['a', 'b'],
  };

  it('a request protobufjs encodes decodes to the same fields', () => {
    const bytes = Buffer.from(
      RequestType.encode(
        RequestType.fromObject({
          id: request.id,
          token: request.token,
          trust_domain: request.trustDomain,
          namespace: request.namespace,
          certificate_signing_request: request.certificateSigningRequest,
          token_validator: request.tokenValidator,
          jwt_audiences: request.jwtAudiences,
        }),
      ).finish(),
    );
    expect(decodeRequest(bytes)).toEqual(request);
    expect(encodeRequest(request)).toEqual(bytes);
  });

  it('unknown fields are skipped and unknown enum values kept', () => {
    const bytes = Buffer.concat([
      encodeRequest({ ...request, tokenValidator: 9 }),
      Buffer.from([0xf8, 0x01, 0x05]),
    ]);
    expect(decodeRequest(bytes).tokenValidator).toBe(9);
  });

  it('rejects invalid UTF-8 in string fields, as Go does', () => {
    expect(() => decodeRequest(Buffer.from([0x0a, 0x01, 0xff]))).toThrow(/UTF-8/);
  });

  it('a response we encode reads back in protobufjs with every field', () => {
    const validUntil = new Date(Date.UTC(2026, 1, 2, 3, 4, 5));
    const bytes = encodeResponse({
      workloadCertificate: Buffer.from('chain'),
      trustChainCertificates: [Buffer.from('anchors')],
      validUntil,
      jwt: 'j.w.t',
      perAudienceJwts: new Map([['aud', 'x.y.z']]),
    });
    const decoded = ResponseType.toObject(ResponseType.decode(bytes), {
      longs: Number,
      bytes: String,
    }) as Record<string, unknown>;
    expect(decoded).toEqual({
      workload_certificate: Buffer.from('chain').toString('base64'),
      trust_chain_certificates: [Buffer.from('anchors').toString('base64')],
      valid_until: { seconds: validUntil.getTime() / 1000 },
      jwt: { value: 'j.w.t' },
      per_audience_jwts: { aud: { value: 'x.y.z' } },
    });
    expect(decodeResponse(bytes)).toEqual({
      workloadCertificate: Buffer.from('chain'),
      trustChainCertificates: [Buffer.from('anchors')],
      validUntil,
      jwt: 'j.w.t',
      perAudienceJwts: new Map([['aud', 'x.y.z']]),
    });
  });

  it('valid_until is always present, even when it encodes as an empty Timestamp', () => {
    const decoded = ResponseType.decode(
      encodeResponse({
        workloadCertificate: Buffer.from('c'),
        trustChainCertificates: [],
        validUntil: new Date(0),
      }),
    ) as unknown as { valid_until?: unknown };
    expect(decoded.valid_until).toBeDefined();
  });
});
