import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeApiError } from '../kit/kubernetes/client.js';
import { FakeKubeApi } from '../kit/kubernetes/testing/fake-api.js';
import {
  ConfigError,
  DEFAULT_SENTRY_CONFIG,
  expandEnv,
  loadKubernetesConfig,
  loadStandaloneConfig,
  sentryConfigFromSpec,
  sentryConfigFromYaml,
} from './config.js';

const HOUR = 3_600_000;

describe('sentry §3: the daprsystem Configuration’s spec.mtls', () => {
  it('defaults: workloadCertTTL 24h, allowedClockSkew 15m, no extra validators', () => {
    expect(DEFAULT_SENTRY_CONFIG).toEqual({
      workloadCertTtlMs: 24 * HOUR,
      allowedClockSkewMs: 15 * 60_000,
      tokenValidators: [],
    });
    expect(sentryConfigFromSpec(undefined)).toEqual(DEFAULT_SENTRY_CONFIG);
    expect(sentryConfigFromSpec({ mtls: { enabled: true } })).toEqual(DEFAULT_SENTRY_CONFIG);
    expect(sentryConfigFromSpec({ mtls: { workloadCertTTL: '', allowedClockSkew: '' } })).toEqual(
      DEFAULT_SENTRY_CONFIG,
    );
  });

  it('reads Go durations; controlPlaneTrustDomain and sentryAddress are not sentry’s', () => {
    expect(
      sentryConfigFromSpec({
        mtls: {
          workloadCertTTL: '1h30m',
          allowedClockSkew: '0',
          controlPlaneTrustDomain: 'other.td',
          sentryAddress: 'x:443',
          tokenValidators: [{ name: 'jwks', options: { source: 'https://x' } }],
        },
      }),
    ).toEqual({
      workloadCertTtlMs: 1.5 * HOUR,
      allowedClockSkewMs: 0,
      tokenValidators: [{ name: 'jwks', options: { source: 'https://x' } }],
    });
  });

  it.each([
    ['an unparsable TTL', { workloadCertTTL: '1 day' }, /error parsing workloadCertTTL duration "1 day"/],
    ['a TTL without unit', { workloadCertTTL: '24' }, /missing unit/],
    ['a zero TTL', { workloadCertTTL: '0s' }, /must be positive/],
    ['a negative skew', { allowedClockSkew: '-1m' }, /must not be negative/],
    ['a numeric TTL', { workloadCertTTL: 86400 }, /must be a duration string/],
    ['validators that are not a list', { tokenValidators: 'jwks' }, /must be a list/],
    ['a validator without a name', { tokenValidators: [{}] }, /tokenValidators\[0\] needs a name/],
  ])('rejects %s', (_name, mtls, message) => {
    expect(() => sentryConfigFromSpec({ mtls })).toThrow(ConfigError);
    expect(() => sentryConfigFromSpec({ mtls })).toThrow(message);
  });
});

describe('sentry §3: self-hosted --config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sentry-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('expands $VAR and ${VAR} as Go’s os.ExpandEnv does', () => {
    const env = { TTL: '2h', A: 'x' };
    expect(expandEnv('ttl: ${TTL}, $A$A, ${MISSING}|', env)).toBe('ttl: 2h, xx, |');
    expect(expandEnv('cost $ 5, end$', env)).toBe('cost $ 5, end$');
    expect(expandEnv('${}${unclosed', env)).toBe('unclosed');
    expect(expandEnv('$1 $$ ${A}b', env)).toBe('  xb');
  });

  it('reads a Configuration document', async () => {
    const yaml =
      'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nspec:\n  mtls:\n    workloadCertTTL: ${TTL}\n';
    expect((await sentryConfigFromYaml(yaml, { TTL: '2h' })).workloadCertTtlMs).toBe(2 * HOUR);
    await expect(sentryConfigFromYaml('spec: [', {})).rejects.toThrow(/not valid YAML/);
  });

  it('divergence: a missing file means the defaults (upstream exits)', async () => {
    expect(await loadStandaloneConfig(join(dir, 'daprsystem'), {})).toEqual({
      config: DEFAULT_SENTRY_CONFIG,
      found: false,
      source: `file ${join(dir, 'daprsystem')}`,
    });
  });

  it('an invalid file is fatal, naming the file', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'spec:\n  mtls:\n    allowedClockSkew: soon\n');
    await expect(loadStandaloneConfig(path, {})).rejects.toThrow(
      `file ${path}: error parsing allowedClockSkew`,
    );
  });
});

describe('sentry §3: the Kubernetes Configuration object', () => {
  const path = '/apis/dapr.io/v1alpha1/namespaces/dapr-system/configurations/daprsystem';

  it('reads spec.mtls of <NAMESPACE>/<--config>', async () => {
    const api = new FakeKubeApi().withObject(path, { spec: { mtls: { workloadCertTTL: '1h' } } });
    const loaded = await loadKubernetesConfig(api, 'dapr-system', 'daprsystem');
    expect(loaded).toMatchObject({ found: true, source: 'Configuration dapr-system/daprsystem' });
    expect(loaded.config.workloadCertTtlMs).toBe(HOUR);
  });

  it('divergence: a missing object (or missing CRD) means the defaults', async () => {
    await expect(loadKubernetesConfig(new FakeKubeApi(), 'dapr-system', 'daprsystem')).resolves.toMatchObject(
      {
        config: DEFAULT_SENTRY_CONFIG,
        found: false,
      },
    );
  });

  it('any other failure is fatal', async () => {
    const api = new FakeKubeApi().withFailure('GET', path, new KubeApiError(403, 'Forbidden', 'no access'));
    await expect(loadKubernetesConfig(api, 'dapr-system', 'daprsystem')).rejects.toThrow(
      'cannot read Configuration dapr-system/daprsystem: no access',
    );
  });
});
