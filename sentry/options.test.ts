// docs/contracts/sentry.md §6: sentry's flags, defaults and validation.
import { describe, expect, it } from '@jest/globals';
import { parseOptions, type SentryOptions } from './options.js';

function options(argv: string[], env: NodeJS.ProcessEnv = {}): SentryOptions {
  const outcome = parseOptions(argv, env);
  if (outcome.kind !== 'run') throw new Error(`expected run, got ${JSON.stringify(outcome)}`);
  return outcome.options;
}

describe('sentry options', () => {
  it('sentry §6: has upstream defaults', () => {
    expect(options([], { HOME: '/home/dapr' })).toMatchObject({
      configName: 'daprsystem',
      issuerCredentialsPath: '/var/run/secrets/dapr.io/credentials',
      rootCaFilename: 'ca.crt',
      issuerCertFilename: 'issuer.crt',
      issuerKeyFilename: 'issuer.key',
      trustDomain: 'localhost',
      port: 50001,
      listenAddress: '',
      healthzPort: 8080,
      mode: 'standalone',
      kubeconfig: '/home/dapr/.kube/config',
      namespace: 'default',
      jwt: {
        enabled: false,
        keyFilename: 'jwt.key',
        jwksFilename: 'jwks.json',
        issuer: undefined,
        signingAlgorithm: 'RS256',
        keyId: undefined,
        ttlMs: 86_400_000,
      },
      oidc: {
        enabled: false,
        port: 9080,
        listenAddress: 'localhost',
        tlsEnabled: true,
        allowedHosts: [],
      },
    });
  });

  it('has an empty kubeconfig default without HOME', () => {
    expect(options([]).kubeconfig).toBe('');
  });

  it("accepts the chart's arguments with JWT and OIDC enabled", () => {
    const o = options(
      [
        '--mode',
        'kubernetes',
        '--log-level',
        'info',
        '--enable-metrics',
        '--metrics-port',
        '9090',
        '--trust-domain',
        'cluster.local',
        '--jwt-enabled',
        '--jwt-issuer',
        'https://issuer.example',
        '--jwt-ttl',
        '1h',
        '--jwt-key-id',
        'k1',
        '--oidc-enabled',
        '--oidc-server-listen-address',
        '0.0.0.0',
        '--oidc-server-tls-cert-file',
        '/tls/tls.crt',
        '--oidc-server-tls-key-file',
        '/tls/tls.key',
        '--oidc-allowed-hosts',
        'a.example,b.example',
        '--oidc-path-prefix',
        '/dapr',
      ],
      { NAMESPACE: 'dapr-system' },
    );
    expect(o).toMatchObject({
      mode: 'kubernetes',
      trustDomain: 'cluster.local',
      namespace: 'dapr-system',
      jwt: { enabled: true, issuer: 'https://issuer.example', ttlMs: 3_600_000, keyId: 'k1' },
      oidc: {
        enabled: true,
        listenAddress: '0.0.0.0',
        tlsCertFile: '/tls/tls.crt',
        tlsKeyFile: '/tls/tls.key',
        allowedHosts: ['a.example', 'b.example'],
        pathPrefix: '/dapr',
        jwksUri: undefined,
      },
    });
  });

  it('allows OIDC without TLS files when TLS is off', () => {
    expect(options(['--oidc-enabled', '--oidc-server-tls-enabled=false']).oidc.tlsEnabled).toBe(false);
  });

  it.each([
    ['an unknown mode', ['--mode', 'cloud'], 'invalid mode: cloud'],
    [
      'OIDC with TLS but no cert file',
      ['--oidc-enabled', '--oidc-server-tls-key-file', 'k'],
      'oidc-server-tls-cert-file is required',
    ],
    [
      'OIDC with TLS but no key file',
      ['--oidc-enabled', '--oidc-server-tls-cert-file', 'c'],
      'oidc-server-tls-key-file is required',
    ],
    ['a JWT issuer without JWT', ['--jwt-issuer', 'x'], 'jwt-issuer cannot be set when jwt-enabled is false'],
    ['an empty JWT issuer without JWT (set counts)', ['--jwt-issuer='], 'jwt-issuer cannot be set'],
    ['a bad JWT ttl', ['--jwt-ttl', 'forever'], undefined],
    ['Kubernetes mode without NAMESPACE', ['--mode', 'kubernetes'], 'NAMESPACE environment variable not set'],
  ])('sentry §6: rejects %s', (_name, argv, message) => {
    const outcome = parseOptions(argv, {});
    if (message === undefined) {
      expect(outcome).toMatchObject({ kind: 'exit', code: 2 });
      return;
    }
    expect(outcome.kind === 'invalid' && outcome.message).toContain(message);
  });
});
