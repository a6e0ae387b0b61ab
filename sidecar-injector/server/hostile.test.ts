// The injector under hostile AdmissionReviews (issue 15, docs/injector.md Limits): anyone who
// reaches /mutate can post one, up to the 6 MiB body limit, with annotations no apiserver would
// admit. Each is answered or refused in time linear in its size, and a well-behaved caller
// posting meanwhile keeps getting answers.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsRegistry } from '../../kit/metrics.js';
import { recordingLogger } from '../../kit/testing/logger.js';
import {
  growth,
  hostileText,
  LINEAR_RATIO_LIMIT,
  liveBytes,
  PROPERTY_RUNS,
  reportMeasurement,
} from '../../kit/testing/hostile.js';
import { injectorMetrics } from '../metrics.js';
import { allowedCallers } from '../patcher/decisions.js';
import { TEST_TRUST_ANCHORS, testInjector, testPod } from '../patcher/testing/fixtures.js';
import { decodeAdmissionReview } from './admission-review.js';
import { mutator } from './mutator.js';
import { DEFAULT_MAX_BODY_BYTES, webhookHandler } from './webhook-handler.js';

const controller = { username: 'system:serviceaccount:kube-system:replicaset-controller' };

function review(pod: unknown): Record<string, unknown> {
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
    },
  };
}

/** A review of the largest accepted size whose annotations hit every former slow path. */
function hostileReview(bytes: number, seed: number): string {
  const share = 2 * Math.floor((bytes - 4096) / 8);
  return JSON.stringify(
    review(
      testPod({
        'dapr.io/enabled': 'true',
        'dapr.io/app-id': `made-up-${seed}`,
        'dapr.io/placement-host-address': `x${'"'.repeat(share / 2)}x`, // two bytes each in JSON
        'dapr.io/sidecar-cpu-limit': '1e300000000',
        'dapr.io/sidecar-memory-request': `${'9'.repeat(share)}`,
        'dapr.io/env': `A=1${', '.repeat(share / 2)}`,
        'dapr.io/volume-mounts': `${'v:'.repeat(share / 2)},`,
      }),
    ),
  );
}

describe('POST /mutate under hostile load (issue 15)', () => {
  let server: Server;
  let port = 0;
  const registry = new MetricsRegistry({ processMetrics: false });

  beforeAll(async () => {
    server = createServer(
      webhookHandler({
        metrics: injectorMetrics(registry),
        log: recordingLogger(),
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

  function post(body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const headers = { 'Content-Type': 'application/json' };
      const req = request(
        { host: '127.0.0.1', port, path: '/mutate', method: 'POST', headers, agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('hostile reviews of the largest accepted size are answered; the well-behaved caller keeps its answers; memory stays bounded', async () => {
    const honestBody = JSON.stringify(
      review(testPod({ 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'good' })),
    );
    expect(await post(honestBody)).toBe(200);
    const hostile = Array.from({ length: 8 }, (_, i) => hostileReview(DEFAULT_MAX_BODY_BYTES - 1024, i));
    expect(Buffer.byteLength(hostile[0]!)).toBeLessThanOrEqual(DEFAULT_MAX_BODY_BYTES);
    const before = liveBytes(); // after building the bodies: the test's own strings do not count
    let attacking = true;
    const attack = (async (): Promise<number[]> => {
      const statuses: number[] = [];
      for (const body of hostile) statuses.push(await post(body));
      attacking = false;
      return statuses;
    })();
    const latencies: number[] = [];
    while (attacking || latencies.length < 5) {
      const start = performance.now();
      expect(await post(honestBody)).toBe(200);
      latencies.push(performance.now() - start);
    }
    expect(await attack).toEqual(hostile.map(() => 200));
    latencies.sort((a, b) => a - b);
    reportMeasurement('injector honest /mutate, slowest', latencies.at(-1)!, 'ms');
    // One hostile review is parsed at a time between honest ones: tens of milliseconds of JSON.
    expect(latencies.at(-1)!).toBeLessThan(2_000);
    const grown = liveBytes() - before;
    reportMeasurement('injector memory growth', grown / 1048576, 'MiB');
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    const series = (await registry.scrape())
      .split('\n')
      .filter((l) => l.startsWith('dapr_injector_sidecar_injection_'));
    expect(series.length).toBeLessThan(20);
  }, 120_000);
});

describe('AdmissionReview decoding on hostile input (issue 15)', () => {
  it('property: any body decodes or is refused with a message, never a throw', () => {
    const valid = JSON.stringify(review(testPod({ 'dapr.io/enabled': 'true' })));
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      'null',
      '1e999',
      '"request"',
      '"object"',
      valid.slice(0, 80),
    ];
    fc.assert(
      fc.property(fc.oneof(hostileText(alphabet), fc.json(), fc.constant(valid)), (text) => {
        const decoded = decodeAdmissionReview(Buffer.from(text));
        if (!decoded.ok) expect(decoded.message).not.toBe('');
      }),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it.each([
    ['deeply nested arrays', (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`],
    [
      'many annotations',
      (n: number): string =>
        JSON.stringify(
          review(testPod(Object.fromEntries(Array.from({ length: n / 16 }, (_, i) => [`k${i}`, 'v'])))),
        ),
    ],
    ['a long string of escapes', (n: number): string => `"${'\\u0041'.repeat(n / 6)}"`],
  ])('time grows linearly: %s', async (_name, make) => {
    const g = await growth(
      (n) => Buffer.from(make(n)),
      (b) => decodeAdmissionReview(b),
      256 * 1024,
    );
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
