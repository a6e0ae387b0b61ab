import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../cache/resource-cache.js';
import { ResourceEventType } from '../proto/operator.js';
import { inScope, messageFor } from './scopes.js';

const obj = (rv: string, scopes?: string[]): KubeObject => ({
  apiVersion: 'dapr.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'c', namespace: 'default', resourceVersion: rv },
  ...(scopes && { scopes }),
});

describe('operator scopes (docs/contracts/operator.md §1.4, §1.6)', () => {
  it('empty or absent scopes are in for everyone; otherwise exact, case-sensitive app-ids', () => {
    expect(inScope(obj('1'), 'a')).toBe(true);
    expect(inScope(obj('1', []), 'a')).toBe(true);
    expect(inScope(obj('1', ['a', 'b']), 'b')).toBe(true);
    expect(inScope(obj('1', ['A']), 'a')).toBe(false);
  });

  it('ADDED/DELETED are sent with their type only when in scope', () => {
    expect(messageFor({ type: 'ADDED', object: obj('1') }, 'a')).toEqual({
      type: ResourceEventType.CREATED,
      object: obj('1'),
    });
    expect(messageFor({ type: 'ADDED', object: obj('1', ['b']) }, 'a')).toBeUndefined();
    expect(messageFor({ type: 'DELETED', object: obj('1', ['a']) }, 'a')?.type).toBe(
      ResourceEventType.DELETED,
    );
    expect(messageFor({ type: 'DELETED', object: obj('1', ['b']) }, 'a')).toBeUndefined();
  });

  it('scope changes become CREATED (entered) and DELETED of the old object (left)', () => {
    const entered = messageFor({ type: 'MODIFIED', old: obj('1', ['b']), object: obj('2', ['a', 'b']) }, 'a');
    expect(entered).toEqual({ type: ResourceEventType.CREATED, object: obj('2', ['a', 'b']) });
    const left = messageFor({ type: 'MODIFIED', old: obj('1'), object: obj('2', ['b']) }, 'a');
    expect(left).toEqual({ type: ResourceEventType.DELETED, object: obj('1') });
    expect(
      messageFor({ type: 'MODIFIED', old: obj('1', ['b']), object: obj('2', ['b']) }, 'a'),
    ).toBeUndefined();
    expect(messageFor({ type: 'MODIFIED', old: obj('1'), object: obj('2') }, 'a')?.type).toBe(
      ResourceEventType.UPDATED,
    );
  });
});
