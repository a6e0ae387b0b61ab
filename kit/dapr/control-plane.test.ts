import { describe, expect, it } from '@jest/globals';
import { controlPlaneAppId, isControlPlaneAppId } from './control-plane.js';

describe('control-plane names', () => {
  it.each([
    ['operator', 'dapr-operator'],
    ['placement', 'dapr-placement'],
    ['injector', 'dapr-injector'],
    ['sentry', 'dapr-sentry'],
    ['scheduler', 'dapr-scheduler'],
  ])('maps the dapr.io/control-plane value %p to the app id %p', (service, appId) => {
    expect(controlPlaneAppId(service)).toBe(appId);
    expect(isControlPlaneAppId(appId)).toBe(true);
  });

  it.each(['', 'Operator', 'dapr-operator', 'toString', '__proto__'])('knows no service %p', (service) => {
    expect(controlPlaneAppId(service)).toBeUndefined();
  });

  it('treats an app id that only looks like the control plane as a workload', () => {
    expect(isControlPlaneAppId('dapr-operator2')).toBe(false);
    expect(isControlPlaneAppId('operator')).toBe(false);
  });
});
