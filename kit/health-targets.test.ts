import { describe, expect, it } from '@jest/globals';
import { HealthTargets } from './health-targets.js';

describe('health targets', () => {
  it('scoped views register under their prefix in one set, which is healthy only as a whole', () => {
    const all = new HealthTargets();
    const sentry = all.scoped('sentry').addTarget('security-provider');
    const placement = all.scoped('placement').addTarget('security-provider');
    expect(sentry.name).toBe('sentry/security-provider');
    expect(all.unhealthyTargets()).toEqual(['placement/security-provider', 'sentry/security-provider']);
    sentry.ready();
    expect(all.isHealthy()).toBe(false);
    placement.ready();
    expect(all.isHealthy()).toBe(true);
    expect(all.scoped('placement').isHealthy()).toBe(true);
  });

  it('names stay unique per scope, and removal goes through the scope', () => {
    const all = new HealthTargets();
    const scope = all.scoped('operator');
    scope.addTarget('operator-cache');
    expect(() => scope.addTarget('operator-cache')).toThrow('operator/operator-cache');
    scope.removeTarget('operator-cache');
    expect(all.isHealthy()).toBe(false); // nothing registered
    expect(all.scoped('a').scoped('b').addTarget('c').name).toBe('a/b/c');
  });
});
