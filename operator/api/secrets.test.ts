import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../cache/resource-cache.js';
import { resolvedJson, type SecretReader } from './secrets.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Secrets of namespace `team`; any other namespace has none. */
function reader(calls: string[] = []): SecretReader {
  const secrets: Record<string, Record<string, string>> = {
    'team/redis': { password: b64('s3c???>'), redis: b64('by-name') },
    'team/otel': { token: b64('Bearer abc') },
  };
  return (namespace, name) => {
    calls.push(`${namespace}/${name}`);
    const data = secrets[`${namespace}/${name}`];
    if (data === undefined) return Promise.reject(new Error(`secrets "${name}" not found`));
    return Promise.resolve(data);
  };
}

const decode = async (o: KubeObject, ns = 'team', read = reader()): Promise<Record<string, unknown>> =>
  JSON.parse((await resolvedJson(o, ns, read)).toString()) as Record<string, unknown>;

function component(metadata: unknown[], auth?: unknown): KubeObject {
  return {
    apiVersion: 'dapr.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'statestore', namespace: 'team', resourceVersion: '1' },
    spec: { type: 'state.redis', version: 'v1', metadata },
    ...(auth !== undefined && { auth }),
  };
}

describe('operator secret resolution (docs/contracts/operator.md §1.5)', () => {
  it('Component: value = JSON string of padded base64, secretKeyRef kept, key falls back to the name', async () => {
    const calls: string[] = [];
    const out = await decode(
      component([
        { name: 'redisHost', value: 'redis:6379' },
        { name: 'redisPassword', secretKeyRef: { name: 'redis', key: 'password' } },
        { name: 'byName', secretKeyRef: { name: 'redis' } },
        { name: 'missingKey', value: 'keep', secretKeyRef: { name: 'redis', key: 'nope' } },
        { name: 'number', value: 42 },
      ]),
      'team',
      reader(calls),
    );
    expect((out.spec as { metadata: unknown[] }).metadata).toEqual([
      { name: 'redisHost', value: 'redis:6379' },
      { name: 'redisPassword', value: b64('s3c???>'), secretKeyRef: { name: 'redis', key: 'password' } },
      { name: 'byName', value: b64('by-name'), secretKeyRef: { name: 'redis' } },
      { name: 'missingKey', value: 'keep', secretKeyRef: { name: 'redis', key: 'nope' } },
      { name: 'number', value: 42 },
    ]);
    expect(calls).toEqual(['team/redis']); // read once per call
  });

  it('the bytes are plain JSON: "/" not escaped, numbers stay numbers', async () => {
    const text = (
      await resolvedJson(
        component([{ name: 'p', secretKeyRef: { name: 'redis', key: 'password' } }]),
        'team',
        reader(),
      )
    ).toString();
    expect(text).toContain(`"value":"${b64('s3c???>')}"`);
    expect(b64('s3c???>')).toContain('/');
  });

  it('a missing Secret fails; another secret store is left to daprd', async () => {
    const ref = [{ name: 'p', secretKeyRef: { name: 'absent', key: 'k' } }];
    await expect(resolvedJson(component(ref), 'team', reader())).rejects.toThrow(
      'secrets "absent" not found',
    );
    // The Secret is read in the caller's namespace, never elsewhere.
    await expect(
      resolvedJson(component([{ name: 'p', secretKeyRef: { name: 'redis' } }]), 'other', reader()),
    ).rejects.toThrow('not found');
    const vault = await decode(component(ref, { secretStore: 'vault' }));
    expect((vault.spec as { metadata: unknown[] }).metadata).toEqual(ref);
    const k8s = component([{ name: 'p', secretKeyRef: { name: 'redis', key: 'password' } }], {
      secretStore: 'kubernetes',
    });
    expect(JSON.stringify(await decode(k8s))).toContain(b64('s3c???>'));
  });

  it('HTTPEndpoint: headers and clientTLS documents; a missing key becomes null', async () => {
    const out = await decode({
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'HTTPEndpoint',
      metadata: { name: 'ep', namespace: 'team' },
      spec: {
        baseUrl: 'https://x',
        headers: [
          { name: 'Authorization', secretKeyRef: { name: 'redis', key: 'password' } },
          { name: 'Missing', secretKeyRef: { name: 'redis', key: 'absent' } },
        ],
        clientTLS: { rootCA: { secretKeyRef: { name: 'redis', key: 'password' } } },
      },
    });
    const spec = out.spec as { headers: { value: unknown }[]; clientTLS: { rootCA: { value: unknown } } };
    expect(spec.headers.map((h) => h.value)).toEqual([b64('s3c???>'), null]);
    expect(spec.clientTLS.rootCA.value).toBe(b64('s3c???>'));
  });

  it('MCPServer: the configured transport only, unless its auth names another store', async () => {
    const mcp = (endpoint: unknown): KubeObject => ({
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'MCPServer',
      metadata: { name: 'm', namespace: 'team' },
      spec: { endpoint },
    });
    const header = [{ name: 'h', secretKeyRef: { name: 'redis', key: 'password' } }];
    const sse = await decode(mcp({ sse: { url: 'u', headers: header } }));
    expect(JSON.stringify(sse)).toContain(b64('s3c???>'));
    const stdio = await decode(mcp({ stdio: { command: 'c', env: header } }));
    expect(JSON.stringify(stdio)).toContain(b64('s3c???>'));
    const vault = await decode(
      mcp({ streamableHTTP: { url: 'u', headers: header, auth: { secretStore: 'vault' } } }),
    );
    expect(JSON.stringify(vault)).not.toContain(b64('s3c???>'));
  });

  it('Configuration otel headers: the plain string; key required and must exist', async () => {
    const config = (headers: unknown[]): KubeObject => ({
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Configuration',
      metadata: { name: 'tracing', namespace: 'team' },
      spec: { tracing: { otel: { endpointAddress: 'x:4317', headers } } },
    });
    const out = await decode(config([{ name: 'auth', secretKeyRef: { name: 'otel', key: 'token' } }]));
    expect(JSON.stringify(out)).toContain('"value":"Bearer abc"');
    await expect(
      resolvedJson(config([{ name: 'a', secretKeyRef: { name: 'otel' } }]), 'team', reader()),
    ).rejects.toThrow('secret key is required for header a');
    await expect(
      resolvedJson(config([{ name: 'a', secretKeyRef: { name: 'otel', key: 'nope' } }]), 'team', reader()),
    ).rejects.toThrow('key nope not found in secret otel');
  });

  it('Subscriptions are passed through unchanged', async () => {
    const sub: KubeObject = {
      apiVersion: 'dapr.io/v2alpha1',
      kind: 'Subscription',
      metadata: { name: 's', namespace: 'team' },
      spec: { topic: 't', pubsubname: 'p', routes: { default: '/d' }, metadata: { secretKeyRef: 'x' } },
    };
    expect(await decode(sub)).toEqual(sub);
  });
});
