import { describe, expect, it } from '@jest/globals';
import { configMapData, secretData, type ConfigMapShape, type SecretShape } from './bundle-layout.js';
import {
  decideKubernetesStartup,
  decideSelfHostedStartup,
  type StartupDecision,
} from './startup-decision.js';
import { TEST_KEYS, testBundle } from './testing/bundles.js';

const keys = TEST_KEYS;
const bundle = testBundle();
const other = testBundle();
const fullSecret: SecretShape = { data: secretData(bundle, keys) };
const matchingConfigMap: ConfigMapShape = { data: configMapData(bundle, keys) };
const decide = (secret: SecretShape | undefined, configMap: ConfigMapShape | undefined): StartupDecision =>
  decideKubernetesStartup({ secret, configMap, keys, namespace: 'dapr-system' });

describe('sentry §5 startup decision (Kubernetes)', () => {
  it('divergence: creates what Helm did not (a missing Secret means a new CA, a missing ConfigMap is written from the Secret)', () => {
    const fresh = decide(undefined, undefined);
    expect(fresh.action).toBe('generate');
    expect(fresh.action === 'generate' && fresh.findings[0]?.message).toMatch(
      /Secret dapr-system\/dapr-trust-bundle not found/,
    );
    expect(decide(undefined, matchingConfigMap)).toMatchObject({ action: 'generate' });
    const noConfigMap = decide(fullSecret, undefined);
    expect(noConfigMap).toMatchObject({ action: 'use', writeConfigMap: true });
    expect(noConfigMap.action === 'use' && noConfigMap.findings[0]?.message).toMatch(
      /ConfigMap .* not found/,
    );
  });

  it('generates when the Secret is empty (fresh install, or data deleted to force a new CA)', () => {
    expect(decide({}, {})).toMatchObject({ action: 'generate' });
    expect(decide({ data: { 'ca.crt': '' } }, { data: {} })).toMatchObject({ action: 'generate' });
    const replacing = decide({}, matchingConfigMap);
    expect(replacing.action).toBe('generate');
    expect(replacing.action === 'generate' && replacing.findings.some((f) => f.level === 'warn')).toBe(true);
  });

  it('uses the stored bundle when Secret and ConfigMap agree', () => {
    expect(decide(fullSecret, matchingConfigMap)).toEqual({
      action: 'use',
      pems: {
        trustAnchors: bundle.trustAnchorsPem,
        issuerChain: bundle.issuerChainPem,
        issuerKey: bundle.issuerKeyPem,
      },
      writeConfigMap: false,
      findings: [],
    });
  });

  it('divergence: a partial Secret is fatal instead of silently replaced by a new CA', () => {
    const partial = {
      data: { 'ca.crt': fullSecret.data!['ca.crt']!, 'issuer.crt': fullSecret.data!['issuer.crt']! },
    };
    expect(decide(partial, matchingConfigMap)).toMatchObject({
      action: 'fail',
      reason: expect.stringMatching(/missing issuer.key/) as unknown,
    });
  });

  it('divergence: a ConfigMap without ca.crt is rewritten from the Secret, keeping the CA', () => {
    expect(decide(fullSecret, {})).toMatchObject({ action: 'use', writeConfigMap: true });
  });

  it('divergence: a ConfigMap lacking the Secret’s anchors is reported as an error and left alone', () => {
    const d = decide(fullSecret, { data: configMapData(other, keys) });
    expect(d).toMatchObject({ action: 'use', writeConfigMap: false });
    expect(d.action === 'use' && d.findings[0]?.level).toBe('error');
  });

  it('a ConfigMap carrying extra anchors (a root rotation) is fine', () => {
    const both = Buffer.concat([other.trustAnchorsPem, bundle.trustAnchorsPem]).toString();
    const d = decide(fullSecret, { data: { 'ca.crt': both } });
    expect(d).toMatchObject({ action: 'use', writeConfigMap: false });
    expect(d.action === 'use' && d.findings[0]?.level).toBe('info');
  });
});

describe('sentry §5 startup decision (self-hosted)', () => {
  it('generates when no file exists, uses all three, refuses a partial set', () => {
    expect(decideSelfHostedStartup({}, '/creds', keys).action).toBe('generate');
    expect(
      decideSelfHostedStartup(
        {
          trustAnchors: bundle.trustAnchorsPem,
          issuerChain: bundle.issuerChainPem,
          issuerKey: bundle.issuerKeyPem,
        },
        '/creds',
        keys,
      ).action,
    ).toBe('use');
    expect(decideSelfHostedStartup({ trustAnchors: bundle.trustAnchorsPem }, '/creds', keys)).toMatchObject({
      action: 'fail',
      reason: expect.stringMatching(/credentials directory \/creds has only part/) as unknown,
    });
  });
});
