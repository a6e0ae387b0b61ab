// dapr.proto.operator.v1: the Operator service's 16 methods and their messages (docs/contracts/operator.md
// §1.1–1.2), hand-written over sentry's small wire codec. Every request is a namespace (plus a
// name for the two Get calls); every response carries Kubernetes objects as JSON bytes, so three
// shapes cover all of them: a list (repeated bytes = 1), one object (bytes = 1) and a stream
// event (bytes = 1, ResourceEventType = 2). SCHEMA states the field tables as data; a test
// proves them equal, field for field, to the .proto files of dapr v1.18.3.
import { decodeString, expectWire, readFields, WIRE, Writer } from '../../kit/proto/wire.js';

export const OPERATOR_SERVICE = 'dapr.proto.operator.v1.Operator';

/** ResourceEventType (operator.proto). UNKNOWN is never sent: daprd restarts on it (§1.6). */
export const ResourceEventType = { UNKNOWN: 0, CREATED: 1, UPDATED: 2, DELETED: 3 } as const;
export type EventTypeName = Exclude<keyof typeof ResourceEventType, 'UNKNOWN'>;

/** What every request carries; `name` only for GetConfiguration/GetResiliency. */
export interface OperatorRequest {
  readonly namespace: string;
  readonly name: string;
}

export interface ResourceEvent {
  /** The object's JSON. */
  readonly object: Buffer;
  readonly type: number;
}

type ResponseShape = 'list' | 'object' | 'event';

interface MethodSpec {
  readonly request: string;
  readonly response: string;
  /** Field numbers of namespace and name in the request (0: absent). */
  readonly namespaceField: number;
  readonly nameField: number;
  readonly shape: ResponseShape;
}

const stream = (request: string, response: string): MethodSpec => ({
  request,
  response,
  namespaceField: 1,
  nameField: 0,
  shape: 'event',
});
const list = (request: string, response: string, namespaceField = 1): MethodSpec => ({
  request,
  response,
  namespaceField,
  nameField: 0,
  shape: 'list',
});
const get = (request: string, response: string): MethodSpec => ({
  request,
  response,
  namespaceField: 2,
  nameField: 1,
  shape: 'object',
});

/** The service, in the .proto's declaration order. */
export const METHODS = {
  ComponentUpdate: stream('ComponentUpdateRequest', 'ComponentUpdateEvent'),
  ListComponents: list('ListComponentsRequest', 'ListComponentResponse'),
  GetConfiguration: get('GetConfigurationRequest', 'GetConfigurationResponse'),
  // google.protobuf.Empty: no namespace at all, hence always PERMISSION_DENIED (§1.1 #4).
  ListSubscriptions: list('google.protobuf.Empty', 'ListSubscriptionsResponse', 0),
  GetResiliency: get('GetResiliencyRequest', 'GetResiliencyResponse'),
  ListResiliency: list('ListResiliencyRequest', 'ListResiliencyResponse'),
  // namespace is field 2 here: field 1 is the reserved podName.
  ListSubscriptionsV2: list('ListSubscriptionsRequest', 'ListSubscriptionsResponse', 2),
  SubscriptionUpdate: stream('SubscriptionUpdateRequest', 'SubscriptionUpdateEvent'),
  ListHTTPEndpoints: list('ListHTTPEndpointsRequest', 'ListHTTPEndpointsResponse'),
  HTTPEndpointUpdate: stream('HTTPEndpointUpdateRequest', 'HTTPEndpointUpdateEvent'),
  ListMCPServers: list('ListMCPServersRequest', 'ListMCPServersResponse'),
  MCPServerUpdate: stream('MCPServerUpdateRequest', 'MCPServerUpdateEvent'),
  ConfigurationUpdate: stream('ConfigurationUpdateRequest', 'ConfigurationUpdateEvent'),
  ResiliencyUpdate: stream('ResiliencyUpdateRequest', 'ResiliencyUpdateEvent'),
  ListWorkflowAccessPolicy: list('ListWorkflowAccessPolicyRequest', 'ListWorkflowAccessPolicyResponse'),
  WorkflowAccessPolicyUpdate: stream('WorkflowAccessPolicyUpdateRequest', 'WorkflowAccessPolicyUpdateEvent'),
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

export function methodPath(method: MethodName): string {
  return `/${OPERATOR_SERVICE}/${method}`;
}

/** The schema as data: [name, number, type, label] per message, as upstream-proto.ts reads it. */
export const SCHEMA = {
  ListComponentsRequest: [['namespace', 1, 'string', 'optional']],
  ComponentUpdateRequest: [['namespace', 1, 'string', 'optional']],
  ComponentUpdateEvent: [
    ['component', 1, 'bytes', 'optional'],
    ['type', 2, 'ResourceEventType', 'optional'],
  ],
  ListComponentResponse: [['components', 1, 'bytes', 'repeated']],
  GetConfigurationRequest: [
    ['name', 1, 'string', 'optional'],
    ['namespace', 2, 'string', 'optional'],
  ],
  GetConfigurationResponse: [['configuration', 1, 'bytes', 'optional']],
  ListSubscriptionsResponse: [['subscriptions', 1, 'bytes', 'repeated']],
  SubscriptionUpdateRequest: [['namespace', 1, 'string', 'optional']],
  SubscriptionUpdateEvent: [
    ['subscription', 1, 'bytes', 'optional'],
    ['type', 2, 'ResourceEventType', 'optional'],
  ],
  GetResiliencyRequest: [
    ['name', 1, 'string', 'optional'],
    ['namespace', 2, 'string', 'optional'],
  ],
  GetResiliencyResponse: [['resiliency', 1, 'bytes', 'optional']],
  ListResiliencyRequest: [['namespace', 1, 'string', 'optional']],
  ListResiliencyResponse: [['resiliencies', 1, 'bytes', 'repeated']],
  ListSubscriptionsRequest: [['namespace', 2, 'string', 'optional']],
  GetHTTPEndpointRequest: [
    ['name', 1, 'string', 'optional'],
    ['namespace', 2, 'string', 'optional'],
  ],
  GetHTTPEndpointResponse: [['http_endpoint', 1, 'bytes', 'optional']],
  ListHTTPEndpointsResponse: [['http_endpoints', 1, 'bytes', 'repeated']],
  ListHTTPEndpointsRequest: [['namespace', 1, 'string', 'optional']],
  HTTPEndpointUpdateRequest: [['namespace', 1, 'string', 'optional']],
  HTTPEndpointUpdateEvent: [
    ['http_endpoints', 1, 'bytes', 'optional'],
    ['type', 2, 'ResourceEventType', 'optional'],
  ],
  ListMCPServersRequest: [['namespace', 1, 'string', 'optional']],
  ListMCPServersResponse: [['mcp_servers', 1, 'bytes', 'repeated']],
  MCPServerUpdateRequest: [['namespace', 1, 'string', 'optional']],
  MCPServerUpdateEvent: [
    ['mcp_server', 1, 'bytes', 'optional'],
    ['type', 2, 'ResourceEventType', 'optional'],
  ],
  ConfigurationUpdateRequest: [['namespace', 1, 'string', 'optional']],
  ConfigurationUpdateEvent: [
    ['configuration', 1, 'bytes', 'optional'],
    ['type', 2, 'ResourceEventType', 'optional'],
  ],
  ResiliencyUpdateRequest: [['namespace', 1, 'string', 'optional']],
  ResiliencyUpdateEvent: [
    ['resiliency', 1, 'bytes', 'optional'],
    ['type', 2, 'ResourceEventType', 'optional'],
  ],
  ListWorkflowAccessPolicyRequest: [['namespace', 1, 'string', 'optional']],
  ListWorkflowAccessPolicyResponse: [['policies', 1, 'bytes', 'repeated']],
  WorkflowAccessPolicyUpdateRequest: [['namespace', 1, 'string', 'optional']],
  WorkflowAccessPolicyUpdateEvent: [
    ['policy', 1, 'bytes', 'optional'],
    ['type', 2, 'ResourceEventType', 'optional'],
  ],
} as const;

/** Reserved numbers and names per message (the old podName fields), for the parity test. */
export const RESERVED: Readonly<Record<string, readonly (number | string)[]>> = {
  ListComponentsRequest: [2, 'podName'],
  ComponentUpdateRequest: [2, 'podName'],
  GetConfigurationRequest: [3, 'podName'],
  SubscriptionUpdateRequest: [2, 'podName'],
  ListSubscriptionsRequest: [1, 'podName'],
  HTTPEndpointUpdateRequest: [2, 'pod_name'],
};

/** resource.proto: defined for completeness; no RPC uses it (§1.2). */
export const RESOURCE_SCHEMA = {
  ResourceResult: [
    ['resource_type', 1, 'ResourceType', 'optional'],
    ['event_type', 2, 'EventType', 'optional'],
    ['name', 3, 'string', 'optional'],
    ['condition', 4, 'ResourceConditionStatus', 'optional'],
    ['reason', 5, 'string', 'proto3_optional'],
    ['message', 6, 'string', 'proto3_optional'],
    ['observed_generation', 7, 'int64', 'optional'],
    ['last_transaction_time', 8, 'google.protobuf.Timestamp', 'optional'],
  ],
} as const;

export const RESOURCE_ENUMS = {
  ResourceConditionStatus: { STATUS_UNKNOWN: 0, STATUS_SUCCESS: 1, STATUS_FAILURE: 2 },
  ResourceType: { RESOURCE_UNKNOWN: 0, RESOURCE_COMPONENT: 1 },
  EventType: { EVENT_UNKNOWN: 0, EVENT_INIT: 1, EVENT_CLOSE: 2 },
} as const;

// ---- requests ----

export function decodeRequest(method: MethodName, bytes: Buffer): OperatorRequest {
  const { namespaceField, nameField } = METHODS[method];
  let namespace = '';
  let name = '';
  for (const field of readFields(bytes)) {
    // Unknown and reserved fields are skipped, as every protobuf decoder does.
    if (field.number === namespaceField) namespace = decodeString(field);
    else if (field.number === nameField) name = decodeString(field);
  }
  return { namespace, name };
}

export function encodeRequest(method: MethodName, request: Partial<OperatorRequest>): Buffer {
  const { namespaceField, nameField } = METHODS[method];
  const w = new Writer();
  // proto3 writes fields in number order and leaves empty strings out.
  const fields: [number, string][] = [];
  if (nameField !== 0 && request.name) fields.push([nameField, request.name]);
  if (namespaceField !== 0 && request.namespace) fields.push([namespaceField, request.namespace]);
  fields.sort((a, b) => a[0] - b[0]);
  for (const [number, value] of fields) w.string(number, value);
  return w.finish();
}

// ---- responses ----

/** repeated bytes = 1: one JSON object per element. */
export function encodeList(objects: readonly Uint8Array[]): Buffer {
  const w = new Writer();
  for (const o of objects) w.bytes(1, o);
  return w.finish();
}

/** bytes = 1, left out when empty. */
export function encodeObject(object: Uint8Array): Buffer {
  const w = new Writer();
  if (object.length > 0) w.bytes(1, object);
  return w.finish();
}

export function encodeEvent(event: ResourceEvent): Buffer {
  const w = new Writer();
  if (event.object.length > 0) w.bytes(1, event.object);
  if (event.type !== 0) w.uint(2, event.type);
  return w.finish();
}

export function decodeList(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const field of readFields(bytes)) {
    if (field.number !== 1) continue;
    expectWire(field, WIRE.bytes);
    out.push(Buffer.from(field.bytes));
  }
  return out;
}

export function decodeObject(bytes: Buffer): Buffer {
  let object = Buffer.alloc(0);
  for (const field of readFields(bytes)) {
    if (field.number !== 1) continue;
    expectWire(field, WIRE.bytes);
    object = Buffer.from(field.bytes);
  }
  return object;
}

export function decodeEvent(bytes: Buffer): ResourceEvent {
  let object = Buffer.alloc(0);
  let type = 0;
  for (const field of readFields(bytes)) {
    if (field.number === 1) {
      expectWire(field, WIRE.bytes);
      object = Buffer.from(field.bytes);
    } else if (field.number === 2) {
      expectWire(field, WIRE.varint);
      type = field.uint;
    }
  }
  return { object, type };
}

/** The response decoder of a method (clients: tests, the bench, the daprd-style client). */
export function responseDecoder(method: MethodName): (bytes: Buffer) => Buffer[] | Buffer | ResourceEvent {
  switch (METHODS[method].shape) {
    case 'list':
      return decodeList;
    case 'object':
      return decodeObject;
    case 'event':
      return decodeEvent;
  }
}
