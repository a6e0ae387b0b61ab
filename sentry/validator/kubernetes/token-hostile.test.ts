// Token claims on hostile input (issue 15): any token text yields the pod name or a validation
// SentryError, in time linear in the token.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { podNameFromToken } from './token.js';
import { SentryError } from '../../errors.js';
import { growth, hostileText, LINEAR_RATIO_LIMIT, PROPERTY_RUNS } from '../../../kit/testing/hostile.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const token = (claims: unknown): string => `${b64({ alg: 'RS256' })}.${b64(claims)}.c2ln`;

describe('Kubernetes token claims on hostile input (issue 15)', () => {
  it('reads the pod name of a well-formed token', () => {
    expect(podNameFromToken(token({ 'kubernetes.io': { pod: { name: 'p' } } }))).toBe('p');
  });

  it('property: any token gives a name or a validation SentryError', () => {
    const segment = fc.oneof(
      fc.json().map((j) => Buffer.from(j).toString('base64url')),
      hostileText(['A', '=', '-', '_', 'e30', '.', '']),
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(segment, { maxLength: 4 }).map((s) => s.join('.')),
          fc.string(),
        ),
        (text) => {
          try {
            expect(typeof podNameFromToken(text)).toBe('string');
          } catch (err) {
            expect(err).toBeInstanceOf(SentryError);
            expect((err as SentryError).kind).toBe('validation');
          }
        },
      ),
      { numRuns: PROPERTY_RUNS },
    );
  });

  it.each([
    ['many dots', (n: number): string => '.'.repeat(n)],
    ['a long segment ending in a bad character', (n: number): string => `${'A'.repeat(n)}!.e30.e30`],
    ['padding runs', (n: number): string => `e30.${'='.repeat(n)}x.sig`],
    [
      'deeply nested claims',
      (n: number): string =>
        `e30.${Buffer.from(`${'['.repeat(n / 8)}${']'.repeat(n / 8)}`).toString('base64url')}.sig`,
    ],
  ])('time grows linearly: %s', async (_name, make) => {
    const g = await growth(make, (t) => podNameFromToken(t), 64 * 1024);
    expect(g.ratio).toBeLessThan(LINEAR_RATIO_LIMIT);
  });
});
