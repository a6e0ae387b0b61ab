// The unary RPCs (docs/contracts/operator.md §1.1, §1.3–1.5, §1.8): read the caller's namespace from the
// caches, apply the one server-side scope filter upstream has (ListComponents), resolve secrets
// and answer with the objects' JSON. A secret that cannot be read fails the whole call, for
// that caller only; other callers are not affected.
import { status } from '@grpc/grpc-js';
import type { Informers } from '../cache/informers.js';
import type { KindKey } from '../cache/kinds.js';
import type { KubeObject, ResourceCache } from '../cache/resource-cache.js';
import { encodeList, encodeObject, type MethodName } from '../proto/operator.js';
import { ApiError, notSynced } from './errors.js';
import type { WorkloadCaller as Caller } from '../../kit/security/workload-caller.js';
import { inScope } from './scopes.js';
import { resolvedJson, type SecretReader } from './secrets.js';

export interface ResourceSources {
  readonly informers: Informers;
  readonly readSecret: SecretReader;
}

/** The unary methods that list a kind, and whether they filter by the caller's scope. */
const LISTS = {
  ListComponents: { kind: 'component', scoped: true },
  ListResiliency: { kind: 'resiliency', scoped: false },
  ListSubscriptionsV2: { kind: 'subscription', scoped: false },
  ListHTTPEndpoints: { kind: 'httpEndpoint', scoped: false },
  ListMCPServers: { kind: 'mcpServer', scoped: false },
  ListWorkflowAccessPolicy: { kind: 'workflowAccessPolicy', scoped: false },
} as const satisfies Partial<Record<MethodName, { kind: KindKey; scoped: boolean }>>;

const GETS = {
  GetConfiguration: { kind: 'configuration', what: 'configuration' },
  GetResiliency: { kind: 'resiliency', what: 'resiliency' },
} as const satisfies Partial<Record<MethodName, { kind: KindKey; what: string }>>;

export type ListMethod = keyof typeof LISTS;
export type GetMethod = keyof typeof GETS;

export function isListMethod(method: MethodName): method is ListMethod {
  return method in LISTS;
}

export function isGetMethod(method: MethodName): method is GetMethod {
  return method in GETS;
}

function cacheOf(sources: ResourceSources, kind: KindKey): ResourceCache {
  const cache = sources.informers.resources[kind];
  // Before the first list the cache would answer "nothing", which daprd would believe: make it retry.
  if (!cache.synced) throw notSynced();
  return cache;
}

export async function listResponse(
  method: ListMethod,
  caller: Caller,
  sources: ResourceSources,
): Promise<Buffer> {
  const { kind, scoped } = LISTS[method];
  const objects = cacheOf(sources, kind)
    .list(caller.namespace)
    .filter((o: KubeObject) => !scoped || inScope(o, caller.appId));
  const encoded: Buffer[] = [];
  for (const object of objects)
    encoded.push(await resolvedJson(object, caller.namespace, sources.readSecret, { withTypeMeta: true }));
  return encodeList(encoded);
}

export async function getResponse(
  method: GetMethod,
  caller: Caller,
  name: string,
  sources: ResourceSources,
): Promise<Buffer> {
  const { kind, what } = GETS[method];
  const cache = cacheOf(sources, kind);
  const object = cache.get(caller.namespace, name);
  if (object === undefined)
    throw new ApiError(
      status.UNKNOWN,
      `error getting ${what}: ${cache.kind.plural}.dapr.io "${name}" not found`,
    );
  return encodeObject(
    await resolvedJson(object, caller.namespace, sources.readSecret, { withTypeMeta: true }),
  );
}
