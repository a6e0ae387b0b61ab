import { describe, expect, it } from '@jest/globals';
import { daprServiceName, isDns1123Label } from './app-id.js';

describe('app ids name DNS-1123 Services', () => {
  it('appends -dapr', () => {
    expect(daprServiceName('my-app')).toBe('my-app-dapr');
  });

  it.each(['a', 'my-app-dapr', '0abc9', 'a'.repeat(63)])('accepts %p', (name) => {
    expect(isDns1123Label(name)).toBe(true);
  });

  it.each(['', '-a', 'a-', 'My-app', 'a_b', 'a.b'])('rejects %p', (name) => {
    expect(isDns1123Label(name)).toBe(false);
  });

  it('rejects a name past 63 characters, however long', () => {
    expect(isDns1123Label('a'.repeat(64))).toBe(false);
    expect(isDns1123Label(`${'a'.repeat(100_000)}-`)).toBe(false);
  });
});
