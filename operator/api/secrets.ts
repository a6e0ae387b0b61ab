// Kubernetes secrets resolved into resources before they are sent (docs/contracts/operator.md §1.5). The
// Secret is always read in the request's namespace, the key falls back to the ref's name, and
// `secretKeyRef` stays in place. Values are written as the JSON string of the standard padded
// base64 of the secret bytes, which is exactly what the apiserver shows in Secret.data, so the
// string is copied as it comes. Configuration otel headers are the one exception: plain text.
// Reads go to the API every time: daprd's 60 s re-list is how rotated secrets reach it.
import { asReceived, type KubeObject } from '../cache/resource-cache.js';

export const KUBERNETES_SECRET_STORE = 'kubernetes';

/** Secret.data (base64 strings by key) of namespace/name; rejects when the Secret is missing. */
export type SecretReader = (namespace: string, name: string) => Promise<Readonly<Record<string, string>>>;

type Json = Record<string, unknown>;

interface SecretKeyRef {
  readonly name?: unknown;
  readonly key?: unknown;
}

function asObject(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((v): v is Json => asObject(v) !== undefined) : [];
}

function refOf(holder: Json): { name: string; key: string } | undefined {
  const ref = asObject(holder.secretKeyRef) as SecretKeyRef | undefined;
  const name = typeof ref?.name === 'string' ? ref.name : '';
  if (name === '') return undefined;
  return { name, key: typeof ref?.key === 'string' ? ref.key : '' };
}

function storeIsKubernetes(store: unknown): boolean {
  return store === undefined || store === null || store === '' || store === KUBERNETES_SECRET_STORE;
}

/** Per call: the same Secret is read once, however many entries name it. */
function memoized(read: SecretReader): SecretReader {
  const seen = new Map<string, Promise<Readonly<Record<string, string>>>>();
  return (namespace, name) => {
    const key = `${namespace}/${name}`;
    let pending = seen.get(key);
    if (pending === undefined) {
      pending = read(namespace, name);
      seen.set(key, pending);
    }
    return pending;
  };
}

/**
 * Entries of name/value pairs with a secretKeyRef: `value` becomes the base64 string of the
 * secret's key; a missing key leaves the value as it was (Component) or null (the others).
 */
async function resolvePairs(
  pairs: Json[],
  namespace: string,
  read: SecretReader,
  missingKey: 'keep' | 'null',
): Promise<void> {
  for (const pair of pairs) {
    const ref = refOf(pair);
    if (ref === undefined) continue;
    const data = await read(namespace, ref.name);
    const value = data[ref.key || ref.name];
    if (value !== undefined) pair.value = value;
    else if (missingKey === 'null') pair.value = null;
  }
}

async function resolveComponent(object: Json, namespace: string, read: SecretReader): Promise<void> {
  if (!storeIsKubernetes(asObject(object.auth)?.secretStore)) return;
  await resolvePairs(asArray(asObject(object.spec)?.metadata), namespace, read, 'keep');
}

async function resolveHttpEndpoint(object: Json, namespace: string, read: SecretReader): Promise<void> {
  if (!storeIsKubernetes(asObject(object.auth)?.secretStore)) return;
  const spec = asObject(object.spec);
  await resolvePairs(asArray(spec?.headers), namespace, read, 'null');
  const tls = asObject(spec?.clientTLS);
  const documents = ['certificate', 'privateKey', 'rootCA']
    .map((field) => asObject(tls?.[field]))
    .filter((d): d is Json => d !== undefined);
  await resolvePairs(documents, namespace, read, 'null');
}

async function resolveMcpServer(object: Json, namespace: string, read: SecretReader): Promise<void> {
  const endpoint = asObject(asObject(object.spec)?.endpoint);
  // Whichever transport is set, in upstream's order of preference.
  const http = asObject(endpoint?.streamableHTTP) ?? asObject(endpoint?.sse);
  if (http !== undefined) {
    if (!storeIsKubernetes(asObject(http.auth)?.secretStore)) return;
    await resolvePairs(asArray(http.headers), namespace, read, 'null');
    return;
  }
  const stdio = asObject(endpoint?.stdio);
  if (stdio !== undefined) await resolvePairs(asArray(stdio.env), namespace, read, 'null');
}

/** Otel headers: plain text, and both a key and the key's presence are required. */
async function resolveConfiguration(object: Json, namespace: string, read: SecretReader): Promise<void> {
  const otel = asObject(asObject(asObject(object.spec)?.tracing)?.otel);
  for (const header of asArray(otel?.headers)) {
    const ref = refOf(header);
    if (ref === undefined) continue;
    const headerName = typeof header.name === 'string' ? header.name : '';
    if (ref.key === '') throw new Error(`secret key is required for header ${headerName}`);
    let data: Readonly<Record<string, string>>;
    try {
      data = await read(namespace, ref.name);
    } catch (err) {
      throw new Error(
        `failed to get secret ${ref.name} for header ${headerName}: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    const value = data[ref.key];
    if (value === undefined) throw new Error(`key ${ref.key} not found in secret ${ref.name}`);
    header.value = Buffer.from(value, 'base64').toString('utf8');
  }
}

const RESOLVERS: Readonly<Record<string, (o: Json, ns: string, read: SecretReader) => Promise<void>>> = {
  Component: resolveComponent,
  HTTPEndpoint: resolveHttpEndpoint,
  MCPServer: resolveMcpServer,
  Configuration: resolveConfiguration,
};

/** Whether a kind ever needs secrets (Subscription, Resiliency and policies never do). */
export function kindHasSecrets(kind: string): boolean {
  return kind in RESOLVERS;
}

/**
 * The object as it goes on the wire: a copy with secrets resolved from `namespace`, serialized;
 * `withTypeMeta` keeps the apiVersion/kind the cache filled in (list and get answers).
 * Rejects when a Secret cannot be read; the caller turns that into the RPC's error.
 */
export async function resolvedJson(
  object: KubeObject,
  namespace: string,
  read: SecretReader,
  options: { readonly withTypeMeta?: boolean } = {},
): Promise<Buffer> {
  const resolve = RESOLVERS[object.kind];
  const wire = options.withTypeMeta === true ? object : asReceived(object);
  if (resolve === undefined) return Buffer.from(JSON.stringify(wire));
  const copy = structuredClone(wire) as unknown as Json;
  await resolve(copy, namespace, memoized(read));
  return Buffer.from(JSON.stringify(copy));
}
