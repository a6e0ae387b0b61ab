// docs/contracts/injector-and-chart.md §1.2, §1.3: what /mutate answers for good and bad inputs, over a real
// loopback socket (the handler does not care whether TLS is underneath; the integration test
// covers HTTPS). Every refusal has a status and a reason, and the server keeps serving.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsRegistry } from '../../kit/metrics.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import { injectorMetrics } from '../metrics.js';
import { allowedCallers } from '../patcher/decisions.js';
import { TEST_TRUST_ANCHORS, testInjector, testPod } from '../patcher/testing/fixtures.js';
import type { PatchOperation } from '../patcher/k8s-types.js';
import { mutator } from './mutator.js';
import { webhookHandler } from './webhook-handler.js';

const LIMIT = 64 * 1024;
const controller = { username: 'system:serviceaccount:kube-system:replicaset-controller' };

interface Answer {
  readonly status: number;
  readonly body: string;
}

function review(pod: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'uid-1',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'default',
      operation: 'CREATE',
      userInfo: controller,
      object: pod,
      ...extra,
    },
  };
}

describe('POST /mutate', () => {
  let server: Server;
  let port = 0;
  const registry = new MetricsRegistry({ processMetrics: false });
  const log = recordingLogger();

  beforeAll(async () => {
    server = createServer(
      webhookHandler({
        metrics: injectorMetrics(registry),
        log,
        maxBodyBytes: LIMIT,
        mutate: mutator({
          injector: testInjector(),
          policy: { callers: allowedCallers([]).callers },
          trustAnchors: () => TEST_TRUST_ANCHORS,
          mtlsEnabled: () => true,
          componentContainers: () => [],
        }),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function post(
    body: string | Buffer,
    headers: Record<string, string> = { 'Content-Type': 'application/json' },
    path = '/mutate',
    method = 'POST',
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async function stillServing(): Promise<void> {
    const ok = await post(JSON.stringify(review(testPod({}))));
    expect(ok.status).toBe(200);
  }

  it('patches a Dapr-enabled pod: allowed, JSONPatch, uid and apiVersion echoed', async () => {
    const answer = await post(
      JSON.stringify(review(testPod({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'a' }))),
    );
    expect(answer.status).toBe(200);
    const parsed = JSON.parse(answer.body) as {
      apiVersion: string;
      kind: string;
      response: { uid: string; allowed: boolean; patchType: string; patch: string };
    };
    expect(parsed).toMatchObject({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-1', allowed: true, patchType: 'JSONPatch' },
    });
    const ops = JSON.parse(Buffer.from(parsed.response.patch, 'base64').toString()) as PatchOperation[];
    const daprd = ops.find((o) => o.path === '/spec/containers/-')?.value as { name: string };
    expect(daprd.name).toBe('daprd');
  });

  it('echoes v1beta1', async () => {
    const body = { ...review(testPod({})), apiVersion: 'admission.k8s.io/v1beta1' };
    const answer = await post(JSON.stringify(body));
    expect(JSON.parse(answer.body)).toEqual({
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-1', allowed: true },
    });
  });

  it('denies an invalid app-id with the reason (allowed=false, status.message)', async () => {
    const answer = await post(
      JSON.stringify(review(testPod({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'Not_Valid' }))),
    );
    const parsed = JSON.parse(answer.body) as { response: { allowed: boolean; status: { message: string } } };
    expect(answer.status).toBe(200);
    expect(parsed.response.allowed).toBe(false);
    expect(parsed.response.status.message).toContain('invalid app id "Not_Valid"');
  });

  it('denies an empty app-id (a generateName pod without dapr.io/app-id)', async () => {
    const answer = await post(JSON.stringify(review(testPod({ 'dapr.io/enabled': 'true' }))));
    const parsed = JSON.parse(answer.body) as { response: { allowed: boolean; status: { message: string } } };
    expect(parsed.response).toEqual({
      uid: 'uid-1',
      allowed: false,
      status: { message: 'value for the dapr.io/app-id annotation is empty' },
    });
  });

  it('answers invalid annotation values with a patch that keeps the defaults', async () => {
    const pod = testPod({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'a', 'dapr.io/app-port': 'eighty' });
    const answer = await post(JSON.stringify(review(pod)));
    const parsed = JSON.parse(answer.body) as { response: { allowed: boolean; patch: string } };
    expect(parsed.response.allowed).toBe(true);
    const ops = JSON.parse(Buffer.from(parsed.response.patch, 'base64').toString()) as PatchOperation[];
    const daprd = ops.find((o) => o.path === '/spec/containers/-')?.value as { args: string[] };
    expect(daprd.args).not.toContain('--app-port');
  });

  it.each<[string, () => Promise<Answer>, number, string]>([
    ['malformed JSON', () => post('{"apiVersion": '), 400, 'the body is not valid JSON'],
    ['a JSON array', () => post('[]'), 400, 'the body is not a JSON object'],
    [
      'a wrong kind',
      () => post(JSON.stringify({ ...review(testPod({})), kind: 'ConversionReview' })),
      400,
      'expected kind AdmissionReview of admission.k8s.io/v1 or v1beta1, got kind "ConversionReview"',
    ],
    [
      'a wrong apiVersion',
      () => post(JSON.stringify({ ...review(testPod({})), apiVersion: 'admission.k8s.io/v2' })),
      400,
      'got kind "AdmissionReview" of apiVersion "admission.k8s.io/v2"',
    ],
    [
      'no request',
      () => post(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' })),
      400,
      'the AdmissionReview has no request',
    ],
    ['no uid', () => post(JSON.stringify(review(testPod({}), { uid: '' }))), 400, 'has no uid'],
    ['a Pod review without an object', () => post(JSON.stringify(review(null))), 400, 'has no Pod object'],
    ['an empty body', () => post(''), 400, 'empty body'],
    [
      'a wrong Content-Type',
      () => post('{}', { 'Content-Type': 'text/plain' }),
      415,
      'invalid Content-Type, expected `application/json`',
    ],
    [
      'a Content-Type with parameters (upstream compares exactly)',
      () => post('{}', { 'Content-Type': 'application/json; charset=utf-8' }),
      415,
      'invalid Content-Type',
    ],
    ['a GET', () => post('', {}, '/mutate', 'GET'), 405, 'only POST is allowed on /mutate'],
    ['another path', () => post('{}', undefined, '/validate'), 404, '404 page not found'],
    [
      'a body over the limit (declared)',
      () => post(Buffer.alloc(LIMIT + 1, 0x20)),
      413,
      `request body too large: the limit is ${LIMIT} bytes`,
    ],
    [
      'a body over the limit (chunked)',
      () =>
        post(Buffer.alloc(LIMIT * 4, 0x20), {
          'Content-Type': 'application/json',
          'Transfer-Encoding': 'chunked',
        }),
      413,
      'request body too large',
    ],
  ])('%s: a status with a reason, and the server keeps serving', async (_name, send, status, reason) => {
    const answer = await send();
    expect(answer.status).toBe(status);
    expect(answer.body).toContain(reason);
    await stillServing();
  });

  it('a non-Pod kind is allowed and counted as a pod_patch failure', async () => {
    const answer = await post(
      JSON.stringify(
        review({ kind: 'Deployment' }, { kind: { group: 'apps', version: 'v1', kind: 'Deployment' } }),
      ),
    );
    expect(JSON.parse(answer.body)).toMatchObject({ response: { uid: 'uid-1', allowed: true } });
    const text = await registry.registry.metrics();
    expect(text).toMatch(/dapr_injector_sidecar_injection_failed_total\{app_id="",reason="pod_patch"\} 1/);
  });

  it('counts requests, successes and denials under upstream names', async () => {
    const text = await registry.registry.metrics();
    expect(text).toMatch(/^dapr_injector_sidecar_injection_requests_total \d+/m);
    expect(text).toMatch(/dapr_injector_sidecar_injection_succeeded_total\{app_id="a"\} [1-9]/);
    expect(text).toMatch(
      /dapr_injector_sidecar_injection_failed_total\{app_id="Not_Valid",reason="patch"\} 1/,
    );
    // Every undecodable review of the table above counted as reason "patch" with no app id.
    expect(text).toMatch(/dapr_injector_sidecar_injection_failed_total\{app_id="",reason="patch"\} [1-9]/);
  });
});
