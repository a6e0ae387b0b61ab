// ConversionReviews on hostile input (issue 15): any review gets a Success or a Failure with a
// message, in time linear in the number of objects.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { V1ALPHA1, V2ALPHA1 } from './subscription.js';
import { reviewResponse } from './webhook.js';
import { growth, LINEAR_RATIO_LIMIT, PROPERTY_RUNS } from '../../kit/testing/hostile.js';

type Review = Parameters<typeof reviewResponse>[0];

const subscription = (i: number): Record<string, unknown> => ({
  apiVersion: V1ALPHA1,
  kind: 'Subscription',
  metadata: { name: `s${i}`, namespace: 'default' },
  spec: { pubsubname: 'p', topic: 't', route: '/r', metadata: { k: 'v' } },
});

const reviewOf = (objects: unknown[], desiredAPIVersion: string): Review => ({
  request: { uid: 'u', desiredAPIVersion, objects },
});

describe('ConversionReview on hostile input (issue 15)', () => {
  it('property: any objects give Success, or Failure with a message', () => {
    const object = fc.oneof(
      fc.anything(),
      fc.record({
        apiVersion: fc.constantFrom(V1ALPHA1, V2ALPHA1, 'x'),
        kind: fc.constantFrom('Subscription', 'Other'),
        metadata: fc.anything(),
        spec: fc.oneof(
          fc.anything(),
          fc.dictionary(
            fc.constantFrom(
              'topic',
              'route',
              'routes',
              'metadata',
              'bulkSubscribe',
              'pubsubname',
              'deadLetterTopic',
            ),
            fc.anything(),
          ),
        ),
      }),
    );
    fc.assert(
      fc.property(
        fc.array(object, { maxLength: 4 }),
        fc.constantFrom(V1ALPHA1, V2ALPHA1, ''),
        (objects, desired) => {
          const { response } = reviewResponse(reviewOf(objects, desired)) as {
            response: { result: { status: string; message?: string } };
          };
          if (response.result.status !== 'Success') {
            expect(response.result.status).toBe('Failure');
            expect(response.result.message).toBeTruthy();
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it('time grows linearly with the number of objects', async () => {
    const g = await growth(
      (n) =>
        reviewOf(
          Array.from({ length: n }, (_, i) => subscription(i)),
          V2ALPHA1,
        ),
      (review) => reviewResponse(review),
      5_000,
    );
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
