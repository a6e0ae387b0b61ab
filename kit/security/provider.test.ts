// The parts of the SVID provider that need no CA: token selection, renewal timing and the anchors
// watch. The full request/verify/rotate cycle is in placement/security.test.ts.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logger } from '../logger.js';
import { recordingLogger } from '../testing/logger.js';
import { TokenValidator } from '../proto/sentry.js';
import { describe, expect, it } from '@jest/globals';
import {
  KUBERNETES_TOKEN_FILE,
  LEGACY_KUBERNETES_TOKEN_FILE,
  SecurityProvider,
  sentryToken,
} from './provider.js';

describe('sentryToken', () => {
  const files: Record<string, string> = { '/t': 'file-token', [KUBERNETES_TOKEN_FILE]: 'projected' };
  const read = (p: string): string => {
    const v = files[p];
    if (v === undefined) throw new Error(`ENOENT ${p}`);
    return v;
  };

  it('uses DAPR_SENTRY_TOKEN_FILE: KUBERNETES in kubernetes mode, else JWKS', () => {
    expect(sentryToken({ DAPR_SENTRY_TOKEN_FILE: '/t' }, true, read)).toEqual({
      token: 'file-token',
      validator: TokenValidator.KUBERNETES,
    });
    expect(sentryToken({ DAPR_SENTRY_TOKEN_FILE: '/t' }, false, read)).toEqual({
      token: 'file-token',
      validator: TokenValidator.JWKS,
    });
  });

  it('rejects an empty DAPR_SENTRY_TOKEN_FILE', () => {
    expect(() => sentryToken({ DAPR_SENTRY_TOKEN_FILE: '' }, true, read)).toThrow(/empty/);
  });

  it('reads the projected token in kubernetes mode, falling back to the legacy one', () => {
    expect(sentryToken({}, true, read)).toEqual({
      token: 'projected',
      validator: TokenValidator.KUBERNETES,
    });
    const legacy = (p: string): string => {
      if (p === LEGACY_KUBERNETES_TOKEN_FILE) return 'legacy';
      throw new Error('ENOENT');
    };
    expect(sentryToken({}, true, legacy)).toEqual({ token: 'legacy', validator: TokenValidator.KUBERNETES });
  });

  it('asks with no token and no validator in kubernetes mode when neither token file exists (as upstream)', () => {
    const none = (p: string): string => {
      throw new Error(`ENOENT: ${p}`);
    };
    expect(sentryToken({}, true, none)).toEqual({ token: '', validator: TokenValidator.UNKNOWN });
  });

  it('sends no token outside kubernetes mode', () => {
    expect(sentryToken({}, false, read)).toEqual({ token: '', validator: TokenValidator.UNKNOWN });
  });
});

describe('renewal', () => {
  it('renews at half of the lifetime, counted from NotBefore', () => {
    const notBefore = new Date(1_000_000);
    const notAfter = new Date(1_000_000 + 3_600_000);
    expect(SecurityProvider.renewDelayMs({ notBefore, notAfter }, 1_000_000 + 600_000)).toBe(1_200_000);
    expect(SecurityProvider.renewDelayMs({ notBefore, notAfter }, 1_000_000 + 3_000_000)).toBe(0);
  });

  it('names itself and sentry spiffe://<td>/ns/<ns>/<id>', () => {
    const provider = new SecurityProvider({
      appId: 'dapr-placement',
      namespace: 'dapr-system',
      trustDomain: 'cluster.local',
      trustAnchorsFile: '/nonexistent/ca.crt',
      sentryAddress: 'localhost:50001',
      keyAlgorithm: 'ed25519',
      kubernetesMode: false,
      env: {},
      log: logger('test'),
    });
    expect(provider.spiffeId).toBe('spiffe://cluster.local/ns/dapr-system/dapr-placement');
    expect(provider.sentryId).toBe('spiffe://cluster.local/ns/dapr-system/dapr-sentry');
  });
});

describe('the trust anchors watch', () => {
  it('ignores other files in the anchors directory and logs a failed reload once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dapr-ts-anchors-'));
    const log = recordingLogger();
    const provider = new SecurityProvider({
      appId: 'dapr-placement',
      namespace: 'dapr-system',
      trustDomain: 'cluster.local',
      trustAnchorsFile: join(dir, 'ca.crt'),
      sentryAddress: '127.0.0.1:1',
      keyAlgorithm: 'ed25519',
      kubernetesMode: false,
      env: {},
      log,
      retryMs: 3_600_000,
    });
    const ac = new AbortController();
    const running = provider.run(ac.signal);
    try {
      // A log written beside the missing anchors: each line is a change in the directory.
      for (let i = 0; i < 50; i++) {
        appendFileSync(join(dir, 'service.log'), `line ${i}\n`);
        await new Promise((r) => setTimeout(r, 2));
      }
      // The anchors file itself, twice unreadable (a directory), is reported once.
      mkdirSync(join(dir, 'ca.crt'));
      await new Promise((r) => setTimeout(r, 50));
      rmSync(join(dir, 'ca.crt'), { recursive: true });
      mkdirSync(join(dir, 'ca.crt'));
      await new Promise((r) => setTimeout(r, 100));
      const reloads = log.lines.filter((l) => l.msg.startsWith('Failed to reload the trust anchors'));
      expect(reloads.length).toBe(1);
    } finally {
      ac.abort();
      await running;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
