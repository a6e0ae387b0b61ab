import { describe, expect, it } from '@jest/globals';
import { HealthTargets } from '../../../kit/health-targets.js';
import { SentryError } from '../../errors.js';
import { signRequest } from '../testing/sign-request.js';
import type { Validator } from '../validator.js';
import { FakeLookup, FakeTokenReviews, fakeServiceAccountToken } from './testing/fake-cluster.js';
import { KubernetesValidator, type KubernetesLookup, type PodInfo } from './kubernetes.js';

const CP_NS = 'dapr-system';
const CP_TD = 'cluster.local';

const pods: PodInfo[] = [
  {
    namespace: 'default',
    name: 'myapp-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/app-id': 'myapp' },
  },
  { namespace: 'default', name: 'plain-pod', serviceAccountName: 'default', annotations: {} },
  {
    namespace: 'default',
    name: 'config-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/app-id': 'cfgapp', 'dapr.io/config': 'appconfig' },
  },
  {
    namespace: 'default',
    name: 'noconfig-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/config': 'missing' },
  },
  {
    namespace: 'default',
    name: 'notd-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/config': 'notd' },
  },
  {
    namespace: 'default',
    name: 'badtd-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/config': 'badtd' },
  },
  {
    namespace: 'other',
    name: 'other-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/app-id': 'myapp' },
  },
  {
    namespace: CP_NS,
    name: 'operator-pod',
    serviceAccountName: 'dapr-operator',
    annotations: { 'dapr.io/control-plane': 'operator' },
  },
  {
    namespace: CP_NS,
    name: 'injector-pod',
    serviceAccountName: 'dapr-injector',
    annotations: { 'dapr.io/control-plane': 'injector' },
  },
  {
    namespace: 'default',
    name: 'fake-cp-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/control-plane': 'operator' },
  },
  {
    namespace: CP_NS,
    name: 'unknown-cp-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/control-plane': 'dashboard' },
  },
  {
    namespace: CP_NS,
    name: 'cp-appid-pod',
    serviceAccountName: 'default',
    annotations: { 'dapr.io/control-plane': 'sentry', 'dapr.io/app-id': 'x' },
  },
];

/** The token of `pod`, authenticated as its own service account (or as `sa` when given). */
const tokenFor = (podName: string): string => fakeServiceAccountToken(podName);

function setup(): { reviews: FakeTokenReviews; lookup: FakeLookup; validator: KubernetesValidator } {
  const reviews = new FakeTokenReviews();
  const lookup = new FakeLookup()
    .withConfiguration('default', 'appconfig', { accessControlTrustDomain: 'td.example' })
    .withConfiguration('default', 'notd', {})
    .withConfiguration('default', 'badtd', { accessControlTrustDomain: 'Bad TD' });
  for (const pod of pods) {
    lookup.withPod(pod);
    reviews.withServiceAccount(tokenFor(pod.name), pod.namespace, pod.serviceAccountName);
  }
  const validator = new KubernetesValidator({
    tokenReviewer: reviews.reviewer,
    lookup,
    controlPlaneTrustDomain: CP_TD,
    controlPlaneNamespace: CP_NS,
  });
  return { reviews, lookup, validator };
}

describe('sentry §4 kubernetes validator: identities granted', () => {
  it.each([
    ['a sidecar gets its dapr.io/app-id in the public trust domain', 'myapp-pod', {}, 'public'],
    ['the requested trust domain is ignored', 'myapp-pod', { trustDomain: 'evil.example' }, 'public'],
    ['a pod without dapr.io/app-id is known by its pod name', 'plain-pod', { id: 'plain-pod' }, 'public'],
    ["the pod's Configuration sets the trust domain", 'config-pod', { id: 'cfgapp' }, 'td.example'],
    [
      'a Configuration without accessControl.trustDomain means public',
      'notd-pod',
      { id: 'notd-pod' },
      'public',
    ],
    [
      'a control-plane pod gets dapr-<svc> in the control-plane trust domain',
      'operator-pod',
      { id: 'dapr-operator', namespace: CP_NS },
      CP_TD,
    ],
  ])('%s', async (_name, pod, overrides, trustDomain) => {
    const { validator } = setup();
    await expect(validator.validate(signRequest({ token: tokenFor(pod), ...overrides }))).resolves.toEqual({
      trustDomain,
    });
  });

  it('asks TokenReview for the legacy audience and sentry’s SPIFFE ID', async () => {
    const { validator, reviews } = setup();
    await validator.validate(signRequest({ token: tokenFor('myapp-pod') }));
    expect(reviews.audiences).toEqual([
      ['dapr.io/sentry', 'spiffe://cluster.local/ns/dapr-system/dapr-sentry'],
    ]);
  });
});

describe('sentry §4 kubernetes validator: requests denied', () => {
  const denied = (message: RegExp): object => ({
    kind: 'validation',
    message: expect.stringMatching(message) as unknown,
  });

  it.each([
    ['a token for another namespace', () => ({ token: tokenFor('other-pod') }), /namespace/],
    [
      'a request claiming another app id',
      () => ({ token: tokenFor('myapp-pod'), id: 'other' }),
      /does not match the pod's id myapp/,
    ],
    [
      'the injector cannot ask for the operator’s identity',
      () => ({ token: tokenFor('injector-pod'), id: 'dapr-operator', namespace: CP_NS }),
      /does not match/,
    ],
    [
      'a Configuration that does not exist',
      () => ({ token: tokenFor('noconfig-pod'), id: 'noconfig-pod' }),
      /failed to get configuration missing/,
    ],
    [
      'a Configuration with an invalid trust domain',
      () => ({ token: tokenFor('badtd-pod'), id: 'badtd-pod' }),
      /invalid trust domain/,
    ],
    [
      'a control-plane annotation outside sentry’s namespace',
      () => ({ token: tokenFor('fake-cp-pod'), id: 'dapr-operator' }),
      /must run in namespace dapr-system/,
    ],
    [
      'an unknown control-plane service',
      () => ({ token: tokenFor('unknown-cp-pod'), namespace: CP_NS }),
      /unknown control-plane service/,
    ],
    [
      'a control-plane pod that also has dapr.io/app-id',
      () => ({ token: tokenFor('cp-appid-pod'), namespace: CP_NS }),
      /may not carry dapr.io\/app-id/,
    ],
    [
      'a token the apiserver does not authenticate (wrong audience, expired or forged)',
      () => ({ token: 'forged' }),
      /not authenticated/,
    ],
    [
      'a token without the pod-name claim',
      () => ({ token: fakeServiceAccountToken(undefined) }),
      /pod\/name claim is missing/,
    ],
    [
      'a pod that does not exist',
      () => ({ token: fakeServiceAccountToken('ghost') }),
      /failed to get pod of identity/,
    ],
    [
      'an id with a dot (common rules still apply)',
      () => ({ token: tokenFor('myapp-pod'), id: 'my.app' }),
      /invalid request/,
    ],
    [
      'an invalid requested trust domain (still parsed, as upstream)',
      () => ({ token: tokenFor('myapp-pod'), trustDomain: 'A B' }),
      /invalid trust domain/,
    ],
  ])('%s', async (_name, overrides, message) => {
    const { validator, reviews } = setup();
    reviews.withServiceAccount(fakeServiceAccountToken(undefined), 'default', 'default');
    reviews.withServiceAccount(fakeServiceAccountToken('ghost'), 'default', 'default');
    await expect(validator.validate(signRequest(overrides()))).rejects.toMatchObject(denied(message));
  });

  it('another service account than the pod’s', async () => {
    const { validator, reviews } = setup();
    reviews.withServiceAccount(tokenFor('myapp-pod'), 'default', 'intruder');
    await expect(validator.validate(signRequest({ token: tokenFor('myapp-pod') }))).rejects.toMatchObject(
      denied(/service account/),
    );
  });

  it('a review with an error, and a username that is not a service account', async () => {
    const { validator, reviews } = setup();
    reviews.withStatus('err', { authenticated: false, username: '', error: 'token expired' });
    reviews.withStatus('user', { authenticated: true, username: 'alice', error: '' });
    await expect(validator.validate(signRequest({ token: 'err' }))).rejects.toMatchObject(
      denied(/invalid token: token expired/),
    );
    await expect(validator.validate(signRequest({ token: 'user' }))).rejects.toMatchObject(
      denied(/not a service account token/),
    );
  });

  it('a malformed token that still authenticates', async () => {
    const { validator, reviews } = setup();
    reviews.withServiceAccount('not-a-jwt', 'default', 'default');
    await expect(validator.validate(signRequest({ token: 'not-a-jwt' }))).rejects.toMatchObject(
      denied(/failed to parse Kubernetes token/),
    );
  });

  it('a token that is a bare JSON claims object is read like a JWT payload (as upstream)', async () => {
    const { validator, reviews } = setup();
    const plain = JSON.stringify({ 'kubernetes.io': { pod: { name: 'myapp-pod' } } });
    reviews.withServiceAccount(plain, 'default', 'default');
    await expect(validator.validate(signRequest({ token: plain }))).resolves.toEqual(
      expect.objectContaining({ trustDomain: expect.any(String) as unknown }),
    );
    const noPod = JSON.stringify({ 'kubernetes.io': {} });
    reviews.withServiceAccount(noPod, 'default', 'default');
    await expect(validator.validate(signRequest({ token: noPod }))).rejects.toMatchObject(
      denied(/pod\/name claim is missing/),
    );
  });

  it('"validator not ready" while the caches sync', async () => {
    const { validator, lookup } = setup();
    lookup.withReady(false);
    await expect(validator.validate(signRequest({ token: tokenFor('myapp-pod') }))).rejects.toMatchObject(
      denied(/^validator not ready$/),
    );
  });
});

describe('sentry §4 kubernetes validator: transient failures', () => {
  it('an unreachable apiserver during TokenReview is unavailable (daprd retries)', async () => {
    const { validator, reviews } = setup();
    reviews.withFailure(new SentryError('unavailable', 'token review failed'));
    await expect(validator.validate(signRequest({ token: tokenFor('myapp-pod') }))).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });

  it('a rejected TokenReview call (e.g. 403) denies', async () => {
    const { validator, reviews } = setup();
    reviews.withFailure(Object.assign(new Error('forbidden'), { code: 403 }));
    await expect(validator.validate(signRequest({ token: tokenFor('myapp-pod') }))).rejects.toMatchObject({
      kind: 'validation',
      message: 'token review failed: forbidden',
    });
  });

  it('a failing Pod read is unavailable, not a denial', async () => {
    const { validator, lookup } = setup();
    lookup.withFailure(new Error('connection reset'));
    await expect(validator.validate(signRequest({ token: tokenFor('myapp-pod') }))).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });
});

describe('sentry §7 kubernetes validator lifecycle', () => {
  it('flips sentry-kubernetes-validator ready once the lookup is ready, and stops on abort', async () => {
    const targets = new HealthTargets();
    const health = targets.addTarget('sentry-kubernetes-validator');
    const validator: Validator = new KubernetesValidator({
      tokenReviewer: new FakeTokenReviews().reviewer,
      lookup: new FakeLookup(),
      controlPlaneTrustDomain: CP_TD,
      controlPlaneNamespace: CP_NS,
      health,
    });
    const stop = new AbortController();
    const running = validator.run(stop.signal);
    await new Promise((r) => setImmediate(r));
    expect(targets.isHealthy()).toBe(true);
    stop.abort();
    await expect(running).resolves.toBeUndefined();
  });

  it('the fakes satisfy the interfaces', () => {
    expect(new FakeLookup() satisfies KubernetesLookup).toBeInstanceOf(FakeLookup);
  });
});
