// The versions printed in logs and in the banner.
import { describe, expect, it } from '@jest/globals';
import { DAPR_VERSION, buildInfo } from './version.js';

describe('version', () => {
  it('is compatible with Dapr 1.18.3, printed without a leading v', () => {
    expect(DAPR_VERSION).toBe('1.18.3');
  });

  it('reads our own version from package.json', () => {
    expect(buildInfo().version).toMatch(/^\d+\.\d+\.\d+/);
    expect(buildInfo().commit).not.toBe('');
  });
});
