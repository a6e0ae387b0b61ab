import { describe, expect, it } from '@jest/globals';
import { KubeApiError } from '../../../kit/kubernetes/client.js';
import { FakeKubeApi } from '../../../kit/kubernetes/testing/fake-api.js';
import { SentryError } from '../../errors.js';
import { DirectLookup, tokenReviewer } from './client.js';

const REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';

describe('sentry §4: TokenReview and reads through the apiserver', () => {
  it('creates a TokenReview with the token and audiences, and reads its status', async () => {
    const api = new FakeKubeApi().withAnswer('POST', REVIEWS, {
      status: { authenticated: true, user: { username: 'system:serviceaccount:default:default' } },
    });
    const review = tokenReviewer(api);
    const status = await review('tok', [
      'dapr.io/sentry',
      'spiffe://cluster.local/ns/dapr-system/dapr-sentry',
    ]);
    expect(api.requests[0]).toMatchObject({
      method: 'POST',
      path: REVIEWS,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: {
          token: 'tok',
          audiences: ['dapr.io/sentry', 'spiffe://cluster.local/ns/dapr-system/dapr-sentry'],
        },
      },
    });
    expect(status).toEqual({
      authenticated: true,
      username: 'system:serviceaccount:default:default',
      error: '',
    });
    // An answer without a status is not an authentication.
    const empty = new FakeKubeApi().withAnswer('POST', REVIEWS, {});
    expect(await tokenReviewer(empty)('tok', [])).toEqual({ authenticated: false, username: '', error: '' });
  });

  it('an unreachable or overloaded apiserver is `unavailable` (daprd retries); a refusal is not', async () => {
    const down = new FakeKubeApi().withFailure('POST', REVIEWS, new Error('connect ECONNREFUSED'));
    const err = await tokenReviewer(down)('t', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SentryError);
    expect(err).toMatchObject({ kind: 'unavailable' });
    const throttled = new FakeKubeApi().withFailure(
      'POST',
      REVIEWS,
      new KubeApiError(429, 'TooManyRequests', ''),
    );
    await expect(tokenReviewer(throttled)('t', [])).rejects.toMatchObject({ kind: 'unavailable' });
    const forbidden = new FakeKubeApi().withFailure(
      'POST',
      REVIEWS,
      new KubeApiError(403, 'Forbidden', 'rbac'),
    );
    await expect(tokenReviewer(forbidden)('t', [])).rejects.toBeInstanceOf(KubeApiError);
  });

  it('DirectLookup reads a Pod per request (always ready); a missing Pod is undefined', async () => {
    const api = new FakeKubeApi().withObject('/api/v1/namespaces/ns/pods/p', {
      metadata: { namespace: 'ns', name: 'p', annotations: { 'dapr.io/app-id': 'a' } },
      spec: { serviceAccountName: 'sa' },
    });
    const lookup = new DirectLookup(api);
    expect(lookup.isReady()).toBe(true);
    await expect(lookup.whenReady()).resolves.toBeUndefined();
    expect(await lookup.getPod('ns', 'p')).toEqual({
      namespace: 'ns',
      name: 'p',
      serviceAccountName: 'sa',
      annotations: { 'dapr.io/app-id': 'a' },
    });
    expect(await lookup.getPod('ns', 'missing')).toBeUndefined();
    expect(await lookup.getConfiguration('ns', 'missing')).toBeUndefined();
  });
});
