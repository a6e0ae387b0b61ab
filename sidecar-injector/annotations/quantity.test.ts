import { describe, expect, it } from '@jest/globals';
import { canonicalQuantity, isQuantity } from './quantity.js';

describe('injector §3.8 resource quantities', () => {
  it.each([
    ['100m', '100m'],
    ['1', '1'],
    ['0.5', '500m'],
    ['.5', '500m'],
    ['1.', '1'],
    ['+2', '2'],
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['1000', '1k'],
    ['2k', '2k'],
    ['1.5', '1500m'],
    ['0', '0'],
    ['0.0000000001', '1n'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['128Mi', '128Mi'],
    ['1Ki', '1Ki'],
    ['0.5Ki', '512'],
    ['1.1Ki', '1126400m'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1e4', '10e3'],
    ['1.5e3', '1500'],
    ['1M', '1M'],
    ['1E', '1E'],
    ['-1', '-1'],
  ])('%p is printed as %p', (text, expected) => {
    expect(canonicalQuantity(text)).toBe(expected);
  });

  it.each(['lots', '1GB', '', '1 Gi', 'm', '.', '1K', '1e', '--1'])('%p is not a quantity', (text) => {
    expect(isQuantity(text)).toBe(false);
    expect(canonicalQuantity(text)).toBeUndefined();
  });
});
