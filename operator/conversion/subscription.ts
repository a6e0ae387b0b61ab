// Subscription v1alpha1 ⇄ v2alpha1 (docs/contracts/operator.md §3): v1alpha1 is the hub. The only changed
// field is the route: v1alpha1 `spec.route` is v2alpha1 `spec.routes.default`, and the v2alpha1
// `routes.rules` are dropped on the way down (lossy, as upstream). The output has the shape
// upstream's typed structs serialize to: known fields only, `route`/`topic`/`pubsubname` and
// `bulkSubscribe.enabled` always present, zero numbers and empty strings/maps/lists omitted where
// upstream's JSON tags say omitempty. Metadata is copied as it came.
import { DAPR_API_GROUP } from '../../kit/dapr/resources.js';

export const V1ALPHA1 = `${DAPR_API_GROUP}/v1alpha1`;
export const V2ALPHA1 = `${DAPR_API_GROUP}/v2alpha1`;
export const KIND = 'Subscription';

type Json = Record<string, unknown>;

export class ConversionError extends Error {
  override readonly name = 'ConversionError';
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(spec: Json, key: string, where: string): string {
  const value = spec[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ConversionError(`${where}.${key}: expected a string`);
  return value;
}

const INT32_MAX = 2_147_483_647;
const INT32_MIN = -2_147_483_648;

function int32Field(obj: Json, key: string, where: string): number {
  const value = obj[key];
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value > INT32_MAX || value < INT32_MIN)
    throw new ConversionError(`${where}.${key}: expected a 32-bit integer`);
  return value;
}

/** The common part of both versions, read once, in a version-neutral form. */
interface Neutral {
  readonly metadata: unknown;
  readonly pubsubname: string;
  readonly topic: string;
  readonly metadataMap: Readonly<Record<string, string>> | undefined;
  readonly route: string;
  readonly deadLetterTopic: string;
  readonly bulk: { enabled: boolean; maxMessagesCount: number; maxAwaitDurationMs: number };
  readonly scopes: readonly string[] | undefined;
}

function readCommon(obj: Json, route: string): Neutral {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const metadataMap = spec.metadata;
  if (metadataMap !== undefined && metadataMap !== null) {
    if (!isObject(metadataMap) || Object.values(metadataMap).some((v) => typeof v !== 'string'))
      throw new ConversionError('spec.metadata: expected a map of strings');
  }
  const bulkRaw = spec.bulkSubscribe;
  if (bulkRaw !== undefined && bulkRaw !== null && !isObject(bulkRaw))
    throw new ConversionError('spec.bulkSubscribe: expected an object');
  const bulk = isObject(bulkRaw) ? bulkRaw : {};
  if (bulk.enabled !== undefined && bulk.enabled !== null && typeof bulk.enabled !== 'boolean')
    throw new ConversionError('spec.bulkSubscribe.enabled: expected a boolean');
  const scopes = obj.scopes;
  if (scopes !== undefined && scopes !== null) {
    if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string'))
      throw new ConversionError('scopes: expected a list of strings');
  }
  return {
    metadata: obj.metadata,
    pubsubname: stringField(spec, 'pubsubname', 'spec'),
    topic: stringField(spec, 'topic', 'spec'),
    metadataMap: isObject(metadataMap) ? (metadataMap as Record<string, string>) : undefined,
    route,
    deadLetterTopic: stringField(spec, 'deadLetterTopic', 'spec'),
    bulk: {
      enabled: bulk.enabled === true,
      maxMessagesCount: int32Field(bulk, 'maxMessagesCount', 'spec.bulkSubscribe'),
      maxAwaitDurationMs: int32Field(bulk, 'maxAwaitDurationMs', 'spec.bulkSubscribe'),
    },
    scopes: Array.isArray(scopes) ? (scopes as string[]) : undefined,
  };
}

function fromV1alpha1(obj: Json): Neutral {
  const spec = isObject(obj.spec) ? obj.spec : {};
  return readCommon(obj, stringField(spec, 'route', 'spec'));
}

function fromV2alpha1(obj: Json): Neutral {
  const spec = isObject(obj.spec) ? obj.spec : {};
  const routes = spec.routes;
  if (routes !== undefined && routes !== null && !isObject(routes))
    throw new ConversionError('spec.routes: expected an object');
  return readCommon(obj, isObject(routes) ? stringField(routes, 'default', 'spec.routes') : '');
}

function bulkJson(bulk: Neutral['bulk']): Json {
  const out: Json = { enabled: bulk.enabled };
  if (bulk.maxMessagesCount !== 0) out.maxMessagesCount = bulk.maxMessagesCount;
  if (bulk.maxAwaitDurationMs !== 0) out.maxAwaitDurationMs = bulk.maxAwaitDurationMs;
  return out;
}

function hasEntries(map: Readonly<Record<string, string>> | undefined): boolean {
  return map !== undefined && Object.keys(map).length > 0;
}

/** The object envelope both versions share; `spec` is built by the caller. */
function envelope(apiVersion: string, n: Neutral, spec: Json): Json {
  const out: Json = { apiVersion, kind: KIND };
  if (n.metadata !== undefined) out.metadata = n.metadata;
  out.spec = spec;
  if (n.scopes !== undefined && n.scopes.length > 0) out.scopes = [...n.scopes];
  return out;
}

function toV1alpha1(n: Neutral): Json {
  const spec: Json = { topic: n.topic, pubsubname: n.pubsubname };
  if (hasEntries(n.metadataMap)) spec.metadata = { ...n.metadataMap };
  spec.route = n.route;
  spec.bulkSubscribe = bulkJson(n.bulk);
  if (n.deadLetterTopic !== '') spec.deadLetterTopic = n.deadLetterTopic;
  return envelope(V1ALPHA1, n, spec);
}

function toV2alpha1(n: Neutral): Json {
  const spec: Json = { pubsubname: n.pubsubname, topic: n.topic };
  if (hasEntries(n.metadataMap)) spec.metadata = { ...n.metadataMap };
  spec.routes = n.route === '' ? {} : { default: n.route };
  if (n.deadLetterTopic !== '') spec.deadLetterTopic = n.deadLetterTopic;
  spec.bulkSubscribe = bulkJson(n.bulk);
  return envelope(V2ALPHA1, n, spec);
}

/** Converts one Subscription object to `desiredAPIVersion`; throws ConversionError. */
export function convertSubscription(object: unknown, desiredAPIVersion: string): Json {
  if (!isObject(object)) throw new ConversionError('object is not a JSON object');
  if (object.kind !== KIND) throw new ConversionError(`unexpected kind ${JSON.stringify(object.kind)}`);
  let neutral: Neutral;
  switch (object.apiVersion) {
    case V1ALPHA1:
      neutral = fromV1alpha1(object);
      break;
    case V2ALPHA1:
      neutral = fromV2alpha1(object);
      break;
    default:
      throw new ConversionError(`unsupported apiVersion ${JSON.stringify(object.apiVersion)}`);
  }
  switch (desiredAPIVersion) {
    case V1ALPHA1:
      return toV1alpha1(neutral);
    case V2ALPHA1:
      return toV2alpha1(neutral);
    default:
      throw new ConversionError(`unsupported desiredAPIVersion ${JSON.stringify(desiredAPIVersion)}`);
  }
}
