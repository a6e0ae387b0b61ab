// The AdmissionReview envelope (admission.k8s.io v1, and v1beta1, which has the same shape):
// decoding a request body into what the decision needs, and encoding the answer. Pure, so the
// HTTP edge stays a thin layer and these rules are tested without sockets.
import { jsonDepthProblem } from '../../kit/json-depth.js';
import type { AdmissionDecision } from '../patcher/admission.js';
import type { UserInfo } from '../patcher/decisions.js';
import type { Pod } from '../patcher/k8s-types.js';

export const ADMISSION_GROUP = 'admission.k8s.io';
const ACCEPTED_VERSIONS = new Set([`${ADMISSION_GROUP}/v1`, `${ADMISSION_GROUP}/v1beta1`]);

/** What the decision reads from one AdmissionRequest. */
export interface AdmissionRequestFacts {
  /** The envelope's apiVersion, echoed in the response. */
  readonly apiVersion: string;
  readonly uid: string;
  /** request.kind.kind */
  readonly kind: string | undefined;
  /** request.namespace: where the pod is created. */
  readonly namespace: string;
  readonly pod: Pod;
  readonly user: UserInfo;
}

export type DecodedReview =
  | { readonly ok: true; readonly request: AdmissionRequestFacts }
  | { readonly ok: false; readonly message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function userInfo(value: unknown): UserInfo {
  if (!isObject(value)) return {};
  const groups = Array.isArray(value.groups)
    ? value.groups.filter((g): g is string => typeof g === 'string')
    : undefined;
  return { username: optionalString(value.username), uid: optionalString(value.uid), groups };
}

/**
 * Decodes a request body. Anything that is not an AdmissionReview with a request carrying a uid
 * is refused with a message (the edge answers 400): the apiserver never sends such a body, so
 * an answer that looks like a decision would only hide the caller's mistake.
 */
export function decodeAdmissionReview(body: Buffer): DecodedReview {
  let parsed: unknown;
  const text = body.toString('utf8');
  const tooDeep = jsonDepthProblem(text);
  if (tooDeep !== undefined) return { ok: false, message: `the body is not valid JSON: ${tooDeep}` };
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `the body is not valid JSON: ${(err as Error).message}` };
  }
  if (!isObject(parsed)) return { ok: false, message: 'the body is not a JSON object' };
  const apiVersion = optionalString(parsed.apiVersion) ?? '';
  if (parsed.kind !== 'AdmissionReview' || !ACCEPTED_VERSIONS.has(apiVersion)) {
    return { ok: false, message: wrongEnvelope(parsed) };
  }
  return decodeRequest(apiVersion, parsed.request);
}

function wrongEnvelope(parsed: Record<string, unknown>): string {
  return (
    `expected kind AdmissionReview of ${ADMISSION_GROUP}/v1 or v1beta1, got kind ` +
    `${JSON.stringify(parsed.kind ?? null)} of apiVersion ${JSON.stringify(parsed.apiVersion ?? null)}`
  );
}

function decodeRequest(apiVersion: string, request: unknown): DecodedReview {
  if (!isObject(request)) return { ok: false, message: 'the AdmissionReview has no request' };
  const uid = optionalString(request.uid);
  if (uid === undefined || uid === '')
    return { ok: false, message: 'the AdmissionReview request has no uid' };
  const kind = isObject(request.kind) ? optionalString(request.kind.kind) : undefined;
  // A request for another kind is answered (allowed) by the decision, so its object is not checked.
  const object = request.object;
  if (kind === 'Pod' && !isObject(object)) {
    return { ok: false, message: 'the AdmissionReview request has no Pod object' };
  }
  return {
    ok: true,
    request: {
      apiVersion,
      uid,
      kind,
      namespace: optionalString(request.namespace) ?? '',
      pod: isObject(object) ? object : {},
      user: userInfo(request.userInfo),
    },
  };
}

/** The AdmissionReview answer for a decision, as JSON text; the patch goes base64 as the API wants. */
export function encodeAdmissionResponse(request: AdmissionRequestFacts, decision: AdmissionDecision): string {
  const head = `{"apiVersion":${JSON.stringify(request.apiVersion)},"kind":"AdmissionReview","response":{"uid":${JSON.stringify(request.uid)},`;
  switch (decision.kind) {
    case 'allow':
      return `${head}"allowed":true}}`;
    case 'deny':
      return `${head}"allowed":false,"status":{"message":${JSON.stringify(decision.message)}}}}`;
    case 'patch': {
      const patch = Buffer.from(JSON.stringify(decision.ops)).toString('base64');
      return `${head}"allowed":true,"patch":"${patch}","patchType":"JSONPatch"}}`;
    }
  }
}
