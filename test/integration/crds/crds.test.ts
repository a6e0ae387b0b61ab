// The seven dapr.io CRDs in crds/, applied to a real kube-apiserver: each kind serves, a valid
// object of each is accepted, malformed objects are refused at `kubectl apply` time with a
// message naming the field, and `kubectl get` shows the printer columns.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../deps/paths.js';
import { startTestCluster, type TestCluster } from '../../cluster/cluster.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { kubectl, type ToolResult } from '../../harness/tools.js';
import { waitFor } from '../../../kit/testing/wait.js';

const crdsDir = join(repoRoot, 'crds');

const validObjects: Record<string, string> = {
  Component: `
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: {name: statestore}
auth: {secretStore: kubernetes}
scopes: [app1]
spec:
  type: state.redis
  version: v1
  initTimeout: 5s
  ignoreErrors: false
  metadata:
    - {name: redisHost, value: "redis:6379"}
    - {name: maxRetries, value: 3}
    - {name: enableTLS, value: false}
    - {name: redisPassword, secretKeyRef: {name: redis, key: password}}
    - {name: fromEnv, envRef: REDIS_USER}
`,
  Configuration: `
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: {name: appconfig}
spec:
  mtls: {enabled: true, workloadCertTTL: 24h, allowedClockSkew: 15m, sentryAddress: "dapr-sentry.dapr-system.svc:443", controlPlaneTrustDomain: cluster.local}
  tracing:
    samplingRate: "1"
    otel: {protocol: grpc, endpointAddress: "otel:4317", isSecure: false, headers: [{name: x-key, secretKeyRef: {name: otel, key: key}}]}
  accessControl: {defaultAction: deny, policies: [{appId: app1, operations: [{name: /op, action: allow, httpVerb: [GET]}]}]}
  httpPipeline: {handlers: [{name: oauth, type: middleware.http.oauth2}]}
  features: [{name: SchedulerReminders, enabled: true}]
  api: {allowed: [{name: state, version: v1.0, protocol: http}]}
  metrics: {enabled: true, rules: [{name: dapr_runtime_service_invocation_req_sent_total, labels: [{name: method, regex: {"orders/": "orders/.+"}}]}]}
  nameResolution: {component: mdns, version: v1, configuration: {selfRegister: true}}
  workflow: {maxConcurrentWorkflowInvocations: 10, workflowConcurrencyLimits: [{name: order, maxConcurrent: 2}], stateRetentionPolicy: {completed: 1h}}
`,
  SubscriptionV1: `
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: {name: orders-v1}
scopes: [app1]
spec: {topic: orders, pubsubname: pubsub, route: /orders, metadata: {rawPayload: "true"}, bulkSubscribe: {enabled: true, maxMessagesCount: 10}}
`,
  SubscriptionV2: `
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: {name: orders-v2}
spec:
  topic: orders
  pubsubname: pubsub
  deadLetterTopic: dead
  routes: {default: /orders, rules: [{match: 'event.type == "big"', path: /big}]}
`,
  Resiliency: `
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: {name: resiliency}
spec:
  policies:
    timeouts: {general: 5s}
    retries: {retryForever: {policy: constant, duration: 5s, maxRetries: -1, matching: {httpStatusCodes: "500-599"}}}
    circuitBreakers: {simpleCB: {maxRequests: 1, timeout: 30s, trip: consecutiveFailures >= 5}}
  targets:
    apps: {app1: {timeout: general, retry: retryForever, circuitBreaker: simpleCB}}
    actors: {myActor: {timeout: general, circuitBreakerScope: both, circuitBreakerCacheSize: 5000}}
    components: {statestore: {outbound: {retry: retryForever}}}
`,
  HTTPEndpoint: `
apiVersion: dapr.io/v1alpha1
kind: HTTPEndpoint
metadata: {name: github}
spec:
  baseUrl: https://api.github.com
  headers: [{name: Accept, value: application/json}]
  clientTLS: {rootCA: {secretKeyRef: {name: ca, key: ca.crt}}}
`,
  MCPServer: `
apiVersion: dapr.io/v1alpha1
kind: MCPServer
metadata: {name: payments}
spec:
  endpoint:
    streamableHTTP:
      url: https://mcp.example.com
      timeout: 30s
      auth: {secretStore: kubernetes, oauth2: {issuer: https://idp.example.com/token, clientID: dapr}}
  middleware: {beforeCallTool: [{workflow: {workflowName: redact}, mutate: true}]}
`,
  WorkflowAccessPolicy: `
apiVersion: dapr.io/v1alpha1
kind: WorkflowAccessPolicy
metadata: {name: orders}
spec:
  rules:
    - callers: [{appID: frontend}]
      workflows: [{name: "order-*", operations: [schedule, get]}]
`,
};

/** Malformed objects, each with a fragment of the message the apiserver must give. */
const malformed: Array<{ what: string; yaml: string; message: RegExp }> = [
  {
    what: 'a Component without spec.type',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: bad1}\nspec: {version: v1, metadata: []}\n`,
    message: /spec\.type: Required value/,
  },
  {
    what: 'a Component whose metadata is a map, not a list',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: bad2}\nspec: {type: state.redis, version: v1, metadata: {redisHost: x}}\n`,
    // kubectl's strict field validation reports the map's key as an unknown field.
    message: /unknown field "spec\.metadata\.redisHost"/,
  },
  {
    what: 'a Component whose metadata is a string',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: bad2s}\nspec: {type: state.redis, version: v1, metadata: "redisHost=x"}\n`,
    message: /spec\.metadata: Invalid value: "string": spec\.metadata in body must be of type array/,
  },
  {
    what: 'a Component with a number for ignoreErrors',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: bad3}\nspec: {type: state.redis, version: v1, ignoreErrors: 7, metadata: []}\n`,
    message: /spec\.ignoreErrors: Invalid value: "integer": spec\.ignoreErrors in body must be of type boolean/,
  },
  {
    what: 'a Component metadata entry without a name',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: {name: bad4}\nspec: {type: state.redis, version: v1, metadata: [{value: x}]}\n`,
    message: /spec\.metadata\[0\]\.name: Required value/,
  },
  {
    what: 'a v2alpha1 Subscription without routes',
    yaml: `apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: {name: bad5}\nspec: {topic: t, pubsubname: p}\n`,
    message: /spec\.routes: Required value/,
  },
  {
    what: 'an HTTPEndpoint with an unknown renegotiation',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: HTTPEndpoint\nmetadata: {name: bad6}\nspec: {baseUrl: "http://x", clientTLS: {renegotiation: Always}}\n`,
    message: /spec\.clientTLS\.renegotiation: Unsupported value: "Always"/,
  },
  {
    what: 'an MCPServer with two transports',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: MCPServer\nmetadata: {name: bad7}\nspec: {endpoint: {sse: {url: "http://a"}, stdio: {command: mcp}}}\n`,
    message: /exactly one of streamableHTTP, sse, or stdio must be set/,
  },
  {
    what: 'a WorkflowAccessPolicy rule with neither workflows nor activities',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: WorkflowAccessPolicy\nmetadata: {name: bad8}\nspec: {rules: [{callers: [{appID: a}]}]}\n`,
    message: /at least one of workflows or activities must contain a rule/,
  },
  {
    what: 'a WorkflowAccessPolicy with an unknown operation',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: WorkflowAccessPolicy\nmetadata: {name: bad9}\nspec: {rules: [{callers: [{appID: a}], workflows: [{name: w, operations: [delete]}]}]}\n`,
    message: /Unsupported value: "delete"/,
  },
  {
    what: 'a Configuration whose mtls lacks sentryAddress',
    yaml: `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: {name: bad10}\nspec: {mtls: {enabled: true, controlPlaneTrustDomain: cluster.local}}\n`,
    message: /spec\.mtls\.sentryAddress: Required value/,
  },
];

describe('the dapr.io CRDs (crds/) on a real apiserver', () => {
  let cluster: TestCluster;
  let dir: string;
  const kc = (args: readonly string[]): Promise<ToolResult> =>
    kubectl(args, { kubeconfig: cluster.kubeconfigPath });
  const applyText = async (name: string, yaml: string): Promise<ToolResult> => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, yaml);
    return kc(['apply', '-n', 'default', '-f', file]);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-crds-`));
    cluster = await startTestCluster();
  }, 180_000);

  afterAll(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  // The file names are upstream's: the dapr CLI and users' scripts apply them by these names.
  it('ships exactly the seven dapr.io CRDs, and all are established', async () => {
    expect(readdirSync(crdsDir).sort()).toEqual([
      'components.yaml',
      'configuration.yaml',
      'httpendpoints.yaml',
      'mcpservers.yaml',
      'resiliency.yaml',
      'subscription.yaml',
      'workflowaccesspolicy.yaml',
    ]);
    const applied = await kc(['apply', '--server-side', '-f', crdsDir]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const wait = await kc(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '-l', 'app.kubernetes.io/part-of=dapr']);
    expect(wait.code).toBe(0);
    expect(wait.stdout.trim().split('\n').sort()).toEqual(
      [
        'components',
        'configurations',
        'httpendpoints',
        'mcpservers',
        'resiliencies',
        'subscriptions',
        'workflowaccesspolicies',
      ].map((p) => `customresourcedefinition.apiextensions.k8s.io/${p}.dapr.io condition met`),
    );
    const subs = JSON.parse((await kc(['get', 'crd', 'subscriptions.dapr.io', '-o', 'json'])).stdout) as {
      spec: { conversion: { strategy: string; webhook: { clientConfig: { service: Record<string, unknown> } } }; versions: Array<{ name: string; storage: boolean }> };
    };
    expect(subs.spec.conversion.strategy).toBe('Webhook');
    expect(subs.spec.conversion.webhook.clientConfig.service).toMatchObject({ name: 'dapr-webhook', namespace: 'replaceme', path: '/convert', port: 443 });
    expect(subs.spec.versions.map((v) => [v.name, v.storage])).toEqual([
      ['v1alpha1', false],
      ['v2alpha1', true],
    ]);
  });

  it('accepts a valid object of each kind', async () => {
    // Subscriptions are skipped here: reading them back in the other version needs the
    // operator's conversion webhook; creating in the storage version needs nothing.
    for (const [name, yaml] of Object.entries(validObjects)) {
      if (name === 'SubscriptionV1') continue;
      const r = await waitFor(
        async () => {
          const res = await applyText(name, yaml);
          return res.code === 0 ? res : undefined;
        },
        { what: `${name} to be accepted`, timeoutMs: 20_000 },
      ).catch(async (err: Error) => {
        const res = await applyText(name, yaml);
        throw new Error(`${err.message}: ${res.stderr}`);
      });
      expect(r.stdout).toMatch(/created|configured|unchanged/);
    }
    const component = JSON.parse((await kc(['get', '-n', 'default', 'component', 'statestore', '-o', 'json'])).stdout) as {
      spec: { metadata: Array<{ name: string; value?: unknown }> };
      auth: { secretStore: string };
      scopes: string[];
    };
    // Values of any JSON type survive unchanged (the operator passes them to daprd as raw JSON).
    expect(component.spec.metadata.map((m) => m.value)).toEqual(['redis:6379', 3, false, undefined, undefined]);
    expect(component.auth).toEqual({ secretStore: 'kubernetes' });
    expect(component.scopes).toEqual(['app1']);
    const config = JSON.parse((await kc(['get', '-n', 'default', 'configuration', 'appconfig', '-o', 'json'])).stdout) as {
      spec: { metric?: { enabled: boolean }; nameResolution: { configuration: unknown } };
    };
    expect(config.spec.metric).toEqual({ enabled: true });
    expect(config.spec.nameResolution.configuration).toEqual({ selfRegister: true });
    const endpoint = JSON.parse((await kc(['get', '-n', 'default', 'httpendpoint', 'github', '-o', 'json'])).stdout) as {
      spec: { clientTLS: { renegotiation: string } };
    };
    expect(endpoint.spec.clientTLS.renegotiation).toBe('Never');
  });

  it('validates a v1alpha1 Subscription against its schema (server-side dry run)', async () => {
    const file = join(dir, 'sub-v1.yaml');
    writeFileSync(file, validObjects.SubscriptionV1 ?? '');
    const ok = await kc(['apply', '-n', 'default', '--dry-run=server', '-f', file]);
    // Without the operator's webhook the apiserver cannot convert to the storage version;
    // a schema failure would say "Invalid value"/"Required value" instead.
    expect(ok.stderr).not.toMatch(/Required value|Invalid value/);
    writeFileSync(file, validObjects.SubscriptionV1?.replace('route: /orders, ', '') ?? '');
    const bad = await kc(['apply', '-n', 'default', '--dry-run=server', '-f', file]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/spec\.route: Required value/);
  });

  it.each(malformed)('refuses $what', async ({ what, yaml, message }) => {
    const r = await applyText(what.replace(/\W+/g, '-'), yaml);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('shows TYPE and VERSION in `kubectl get components`', async () => {
    const r = await kc(['get', 'components', '-n', 'default']);
    expect(r.code).toBe(0);
    const [header, row] = r.stdout.trim().split('\n');
    expect(header?.split(/\s{2,}/)).toEqual(['NAME', 'TYPE', 'VERSION', 'AGE']);
    expect(row?.split(/\s+/).slice(0, 3)).toEqual(['statestore', 'state.redis', 'v1']);
  });
});
