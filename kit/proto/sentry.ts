// dapr.proto.sentry.v1: the CA service, its two messages and their codecs, written from the
// field table of docs/contracts/sentry.md §1. SCHEMA states the same table as data; a test proves it equal,
// field for field, to the .proto of github.com/dapr/dapr v1.18.3.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { decodeString, expectWire, ProtoError, readFields, WIRE, Writer } from './wire.js';

export const SIGN_CERTIFICATE_PATH = '/dapr.proto.sentry.v1.CA/SignCertificate';

/** SignCertificateRequest.TokenValidator (values are open: unknown numbers are kept). */
export const TokenValidator = { UNKNOWN: 0, INSECURE: 1, KUBERNETES: 2, JWKS: 3 } as const;
export type TokenValidatorName = keyof typeof TokenValidator;

export function tokenValidatorName(value: number): string {
  const found = (Object.keys(TokenValidator) as TokenValidatorName[]).find(
    (k) => TokenValidator[k] === value,
  );
  return found ?? String(value);
}

export interface SignCertificateRequest {
  readonly id: string;
  readonly token: string;
  readonly trustDomain: string;
  readonly namespace: string;
  /** PEM-encoded PKCS#10. */
  readonly certificateSigningRequest: Buffer;
  readonly tokenValidator: number;
  readonly jwtAudiences: readonly string[];
}

export interface SignCertificateResponse {
  /** PEM: the leaf, then the issuer chain. */
  readonly workloadCertificate: Buffer;
  /** One element: the trust anchors PEM. */
  readonly trustChainCertificates: readonly Buffer[];
  /** google.protobuf.Timestamp, whole seconds are what certificates carry. */
  readonly validUntil: Date;
  /** optional google.protobuf.StringValue (only with --jwt-enabled). */
  readonly jwt?: string;
  /** map<string, google.protobuf.StringValue> (only with --jwt-enabled). */
  readonly perAudienceJwts?: ReadonlyMap<string, string>;
}

/** The schema as data: [name, number, type, label]. */
export const SCHEMA = {
  SignCertificateRequest: [
    ['id', 1, 'string', 'optional'],
    ['token', 2, 'string', 'optional'],
    ['trust_domain', 3, 'string', 'optional'],
    ['namespace', 4, 'string', 'optional'],
    ['certificate_signing_request', 5, 'bytes', 'optional'],
    ['token_validator', 6, 'TokenValidator', 'optional'],
    ['jwt_audiences', 7, 'string', 'repeated'],
  ],
  SignCertificateResponse: [
    ['workload_certificate', 1, 'bytes', 'optional'],
    ['trust_chain_certificates', 2, 'bytes', 'repeated'],
    ['valid_until', 3, 'google.protobuf.Timestamp', 'optional'],
    ['jwt', 4, 'google.protobuf.StringValue', 'proto3_optional'],
    ['per_audience_jwts', 5, 'map<string,google.protobuf.StringValue>', 'map'],
  ],
} as const;

export function encodeRequest(req: SignCertificateRequest): Buffer {
  const w = new Writer();
  if (req.id !== '') w.string(1, req.id);
  if (req.token !== '') w.string(2, req.token);
  if (req.trustDomain !== '') w.string(3, req.trustDomain);
  if (req.namespace !== '') w.string(4, req.namespace);
  if (req.certificateSigningRequest.length > 0) w.bytes(5, req.certificateSigningRequest);
  if (req.tokenValidator !== 0) w.uint(6, req.tokenValidator);
  for (const aud of req.jwtAudiences) w.string(7, aud);
  return w.finish();
}

export function decodeRequest(buf: Buffer): SignCertificateRequest {
  const req: { -readonly [K in keyof SignCertificateRequest]: SignCertificateRequest[K] } & {
    jwtAudiences: string[];
  } = {
    id: '',
    token: '',
    trustDomain: '',
    namespace: '',
    certificateSigningRequest: Buffer.alloc(0),
    tokenValidator: 0,
    jwtAudiences: [],
  };
  for (const f of readFields(buf)) {
    switch (f.number) {
      case 1: req.id = decodeString(f); break; // prettier-ignore
      case 2: req.token = decodeString(f); break; // prettier-ignore
      case 3: req.trustDomain = decodeString(f); break; // prettier-ignore
      case 4: req.namespace = decodeString(f); break; // prettier-ignore
      case 5:
        expectWire(f, WIRE.bytes);
        req.certificateSigningRequest = f.bytes;
        break;
      case 6:
        expectWire(f, WIRE.varint);
        req.tokenValidator = f.uint;
        break;
      case 7: req.jwtAudiences.push(decodeString(f)); break; // prettier-ignore
      default: // unknown fields are skipped, as every protobuf decoder does
    }
  }
  return req;
}

function encodeTimestamp(date: Date): Buffer {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  const w = new Writer();
  if (seconds !== 0) w.uint(1, seconds); // dates before 1970 never occur here
  if (nanos !== 0) w.uint(2, nanos);
  return w.finish();
}

function decodeTimestamp(buf: Buffer): Date {
  let seconds = 0;
  let nanos = 0;
  for (const f of readFields(buf)) {
    if (f.number === 1 && f.wireType === WIRE.varint) seconds = f.uint;
    if (f.number === 2 && f.wireType === WIRE.varint) nanos = f.uint;
  }
  return new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
}

const stringValue = (value: string): Buffer => new Writer().string(1, value).finish();

function decodeStringValue(buf: Buffer): string {
  let value = '';
  for (const f of readFields(buf)) if (f.number === 1) value = decodeString(f);
  return value;
}

export function encodeResponse(res: SignCertificateResponse): Buffer {
  const w = new Writer();
  if (res.workloadCertificate.length > 0) w.bytes(1, res.workloadCertificate);
  for (const c of res.trustChainCertificates) w.bytes(2, c);
  w.message(3, encodeTimestamp(res.validUntil));
  if (res.jwt !== undefined) w.message(4, stringValue(res.jwt));
  for (const [aud, token] of res.perAudienceJwts ?? []) {
    w.message(5, new Writer().string(1, aud).message(2, stringValue(token)).finish());
  }
  return w.finish();
}

/** One map<string, StringValue> entry: key = 1, value = 2. */
function decodeMapEntry(buf: Buffer): [string, string] {
  let key = '';
  let value = '';
  for (const e of readFields(buf)) {
    if (e.number === 1) key = decodeString(e);
    if (e.number === 2) value = decodeStringValue(e.bytes);
  }
  return [key, value];
}

export function decodeResponse(buf: Buffer): SignCertificateResponse {
  let workloadCertificate: Buffer = Buffer.alloc(0);
  const trustChainCertificates: Buffer[] = [];
  let validUntil: Date | undefined;
  let jwt: string | undefined;
  const perAudienceJwts = new Map<string, string>();
  for (const f of readFields(buf)) {
    if (f.number <= 5 && f.wireType !== WIRE.bytes)
      throw new ProtoError(`field ${f.number}: wrong wire type`);
    if (f.number === 1) workloadCertificate = f.bytes;
    else if (f.number === 2) trustChainCertificates.push(f.bytes);
    else if (f.number === 3) validUntil = decodeTimestamp(f.bytes);
    else if (f.number === 4) jwt = decodeStringValue(f.bytes);
    else if (f.number === 5) perAudienceJwts.set(...decodeMapEntry(f.bytes));
  }
  if (validUntil === undefined) throw new ProtoError('valid_until is missing');
  return {
    workloadCertificate,
    trustChainCertificates,
    validUntil,
    ...(jwt === undefined ? {} : { jwt }),
    ...(perAudienceJwts.size === 0 ? {} : { perAudienceJwts }),
  };
}

/** The CA service for grpc-js, with the hand-written codec (the server in sentry/, the client in kit/security). */
export const CA_SERVICE = {
  SignCertificate: {
    path: SIGN_CERTIFICATE_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
    originalName: 'signCertificate',
  },
} satisfies ServiceDefinition;
