import { describe, expect, it } from '@jest/globals';
import {
  allowedCallers,
  appIdIsInvalid,
  callerIsNotAllowed,
  daprIsNotEnabled,
  EMPTY_APP_ID_MESSAGE,
  globMatches,
  requestIsNotForAPod,
  sidecarIsAlreadyPresent,
} from './decisions.js';
import { testPod } from './testing/fixtures.js';

describe('injector §1.3 decision flow', () => {
  it('only Pods are handled', () => {
    expect(requestIsNotForAPod('Pod')).toBeUndefined();
    expect(requestIsNotForAPod('Deployment')).toMatch(/not a Pod/);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['True', true],
    ['1', false],
    ['yes', false],
    [' true', false],
    [undefined, false],
  ])('the gate accepts dapr.io/enabled=%p: %p', (value, enabled) => {
    const pod = testPod(value === undefined ? {} : { 'dapr.io/enabled': value });
    expect(daprIsNotEnabled(pod) === undefined).toBe(enabled);
  });

  it.each([
    ['in containers', { containers: [{ name: 'daprd' }] }, true],
    ['in initContainers', { initContainers: [{ name: 'daprd' }] }, true],
    ['absent', { containers: [{ name: 'app' }] }, false],
  ])('a daprd container %s means already injected: %p', (_name, spec, present) => {
    expect(sidecarIsAlreadyPresent(testPod({}, spec)) !== undefined).toBe(present);
  });

  it.each([
    ['', EMPTY_APP_ID_MESSAGE],
    ['a'.repeat(58), undefined],
    ['a'.repeat(59), expect.stringMatching(/DNS-1123/)],
    ['My_App', expect.stringMatching(/DNS-1123/)],
    ['-app', expect.stringMatching(/DNS-1123/)],
    ['app.v1', expect.stringMatching(/DNS-1123/)],
    ['order-service-2', undefined],
  ])('app-id %p: %p', (appId, expected) => {
    expect(appIdIsInvalid(appId)).toEqual(expected);
  });
});

describe('injector §1.4 caller authorisation', () => {
  const { callers } = allowedCallers(['team-*:deployer, ci:bot-?']);
  const policy = { callers, uids: new Set(['uid-1']) };

  it.each([
    [
      'the deployment controller',
      { username: 'system:serviceaccount:kube-system:deployment-controller' },
      true,
    ],
    ['a glob namespace', { username: 'system:serviceaccount:team-a:deployer' }, true],
    ['a ? glob', { username: 'system:serviceaccount:ci:bot-1' }, true],
    ['a ? glob needing two chars', { username: 'system:serviceaccount:ci:bot-12' }, false],
    ['system:masters', { username: 'admin', groups: ['system:masters'] }, true],
    ['a UID from the start-up list', { username: 'x', uid: 'uid-1' }, true],
    ['another service account', { username: 'system:serviceaccount:default:default' }, false],
    ['a plain user', { username: 'alice', groups: ['system:authenticated'] }, false],
  ])('%s: allowed %p', (_name, user, allowed) => {
    expect(callerIsNotAllowed(user, policy) === undefined).toBe(allowed);
  });

  it('patterns need exactly one ":", are trimmed, and must be valid globs; blanks are skipped', () => {
    const { callers: ok, errors } = allowedCallers(['a:b,, c:d:e , nocolon, x : y ,:,[:z']);
    expect(ok.slice(-2)).toEqual([
      { namespace: 'a', name: 'b' },
      { namespace: 'x', name: 'y' },
    ]);
    expect(errors).toHaveLength(4);
  });

  it('extra ":" parts of a username are ignored', () => {
    expect(
      callerIsNotAllowed({ username: 'system:serviceaccount:kube-system:job-controller:x' }, policy),
    ).toBe(undefined);
  });

  it.each([
    ['*', 'anything', true],
    ['kube-*', 'kube-system', true],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['[', '[', false],
    ['[]a]', 'a', false],
    ['[-a]', 'a', false],
    ['[\\]]', ']', true],
    ['[a-]', 'a', false],
    ['[z-a]x', 'bx', false],
    ['[ab', 'a', false],
    ['a.b', 'axb', false],
  ])('path.Match(%p, %p) is %p', (pattern, value, expected) => {
    expect(globMatches(pattern, value)).toBe(expected);
  });
});
