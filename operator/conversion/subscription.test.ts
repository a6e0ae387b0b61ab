import { describe, expect, it } from '@jest/globals';
import { convertSubscription, ConversionError } from './subscription.js';

const metadata = { name: 'orders', namespace: 'shop', uid: 'u1', resourceVersion: '7', labels: { a: 'b' } };

describe('Subscription conversion', () => {
  it('turns v2alpha1 routes.default into v1alpha1 route and drops the rules', () => {
    const v2 = {
      apiVersion: 'dapr.io/v2alpha1',
      kind: 'Subscription',
      metadata,
      spec: {
        pubsubname: 'pubsub',
        topic: 'orders',
        metadata: { rawPayload: 'true' },
        routes: { default: '/orders', rules: [{ match: 'event.type == "x"', path: '/x' }] },
        deadLetterTopic: 'dead',
        bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 500 },
      },
      scopes: ['app1'],
    };
    expect(convertSubscription(v2, 'dapr.io/v1alpha1')).toEqual({
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Subscription',
      metadata,
      spec: {
        topic: 'orders',
        pubsubname: 'pubsub',
        metadata: { rawPayload: 'true' },
        route: '/orders',
        bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 500 },
        deadLetterTopic: 'dead',
      },
      scopes: ['app1'],
    });
  });

  it('turns v1alpha1 route into routes.default with no rules', () => {
    const v1 = {
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Subscription',
      metadata,
      spec: { topic: 't', pubsubname: 'p', route: '/r' },
    };
    expect(convertSubscription(v1, 'dapr.io/v2alpha1')).toEqual({
      apiVersion: 'dapr.io/v2alpha1',
      kind: 'Subscription',
      metadata,
      spec: { pubsubname: 'p', topic: 't', routes: { default: '/r' }, bulkSubscribe: { enabled: false } },
    });
  });

  it('writes the zero values upstream structs always serialize and omits the omitempty ones', () => {
    const v2 = {
      apiVersion: 'dapr.io/v2alpha1',
      kind: 'Subscription',
      metadata,
      spec: { pubsubname: 'p', topic: 't', routes: { rules: [{ match: 'x', path: '/x' }] }, metadata: {} },
      scopes: [],
      extra: 'dropped',
    };
    expect(convertSubscription(v2, 'dapr.io/v1alpha1')).toEqual({
      apiVersion: 'dapr.io/v1alpha1',
      kind: 'Subscription',
      metadata,
      spec: { topic: 't', pubsubname: 'p', route: '', bulkSubscribe: { enabled: false } },
    });
  });

  it('rejects other kinds, versions and mistyped fields', () => {
    expect(() =>
      convertSubscription({ apiVersion: 'dapr.io/v1alpha1', kind: 'Component' }, 'dapr.io/v2alpha1'),
    ).toThrow(ConversionError);
    expect(() =>
      convertSubscription({ apiVersion: 'dapr.io/v3', kind: 'Subscription' }, 'dapr.io/v2alpha1'),
    ).toThrow(/unsupported apiVersion/);
    expect(() =>
      convertSubscription({ apiVersion: 'dapr.io/v1alpha1', kind: 'Subscription', spec: {} }, 'dapr.io/v9'),
    ).toThrow(/desiredAPIVersion/);
    expect(() =>
      convertSubscription(
        {
          apiVersion: 'dapr.io/v1alpha1',
          kind: 'Subscription',
          spec: { bulkSubscribe: { maxMessagesCount: 1.5 } },
        },
        'dapr.io/v2alpha1',
      ),
    ).toThrow(/32-bit integer/);
  });
});
