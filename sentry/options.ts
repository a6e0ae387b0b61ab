// Sentry's command line (docs/contracts/sentry.md §6): upstream's flag names and defaults, the JWT and OIDC
// flags, and upstream's validation (mode, OIDC TLS files, JWT issuer only with JWT enabled).
import { join } from 'node:path';
import { z } from 'zod';
import { COMMON_FLAGS, COMMON_RULES, commonOptions, type CommonOptions } from '../kit/common-flags.js';
import { defineFlags } from '../kit/flags.js';
import {
  flagsSchema,
  portRule,
  resolveOptions,
  type OptionsOutcome,
  type ParsedFlags,
} from '../kit/options.js';
import { DAPR_SYSTEM_CONFIGURATION } from '../kit/dapr/resources.js';
import { DEFAULT_MODE, DEFAULT_TRUST_DOMAIN } from '../kit/common-flags.js';

export const DEFAULT_CREDENTIALS_PATH = '/var/run/secrets/dapr.io/credentials';
export const DEFAULT_ROOT_CERT_FILENAME = 'ca.crt';
export const DEFAULT_ISSUER_CERT_FILENAME = 'issuer.crt';
export const DEFAULT_ISSUER_KEY_FILENAME = 'issuer.key';
export const DEFAULT_SENTRY_PORT = 50001;
export const DEFAULT_JWT_KEY_FILENAME = 'jwt.key';
export const DEFAULT_JWKS_FILENAME = 'jwks.json';
export const DEFAULT_JWT_SIGNING_ALGORITHM = 'RS256';
export const DEFAULT_JWT_TTL_MS = 24 * 3_600_000;
export const DEFAULT_OIDC_PORT = 9080;
export const DEFAULT_OIDC_LISTEN_ADDRESS = 'localhost';
export const MODES = ['standalone', 'kubernetes'] as const;

const SENTRY_FLAGS = defineFlags({
  config: {
    kind: 'string',
    default: DAPR_SYSTEM_CONFIGURATION,
    usage: 'Path to config file, or name of a configuration object',
  },
  'issuer-credentials': {
    kind: 'string',
    default: DEFAULT_CREDENTIALS_PATH,
    usage: 'Path to the credentials directory holding the issuer data',
  },
  'issuer-ca-filename': {
    kind: 'string',
    default: DEFAULT_ROOT_CERT_FILENAME,
    usage: 'Certificate Authority certificate filename',
  },
  'issuer-certificate-filename': {
    kind: 'string',
    default: DEFAULT_ISSUER_CERT_FILENAME,
    usage: 'Issuer certificate filename',
  },
  'issuer-key-filename': {
    kind: 'string',
    default: DEFAULT_ISSUER_KEY_FILENAME,
    usage: 'Issuer private key filename',
  },
  'trust-domain': { kind: 'string', default: DEFAULT_TRUST_DOMAIN, usage: 'The CA trust domain' },
  port: { kind: 'int', default: DEFAULT_SENTRY_PORT, usage: 'The port for the sentry server to listen on' },
  'listen-address': { kind: 'string', default: '', usage: 'The listen address for the sentry server' },
  mode: {
    kind: 'string',
    default: DEFAULT_MODE,
    usage: 'Runtime mode for Dapr Sentry (standalone or kubernetes)',
  },
  'jwt-enabled': { kind: 'bool', default: false, usage: 'Enable JWT token issuance by Sentry' },
  'jwt-key-filename': {
    kind: 'string',
    default: DEFAULT_JWT_KEY_FILENAME,
    usage: 'JWT signing key filename',
  },
  'jwks-filename': {
    kind: 'string',
    default: DEFAULT_JWKS_FILENAME,
    usage: 'JWKS (JSON Web Key Set) filename',
  },
  'jwt-issuer': { kind: 'string', default: '', usage: 'Issuer value for JWT tokens (no issuer if empty)' },
  'jwt-signing-algorithm': {
    kind: 'string',
    default: DEFAULT_JWT_SIGNING_ALGORITHM,
    usage: 'Algorithm used for JWT signing, must be supported by the signing key',
  },
  'jwt-key-id': {
    kind: 'string',
    default: '',
    usage: 'Key ID (kid) for JWT signing (default: base64 SHA-256 of the signing key)',
  },
  'jwt-ttl': { kind: 'duration', default: DEFAULT_JWT_TTL_MS, usage: 'Time-to-live for JWT tokens' },
  'oidc-enabled': { kind: 'bool', default: false, usage: 'Enable the OIDC HTTP server' },
  'oidc-server-listen-port': {
    kind: 'int',
    default: DEFAULT_OIDC_PORT,
    usage: 'The port for the OIDC HTTP server',
  },
  'oidc-server-listen-address': {
    kind: 'string',
    default: DEFAULT_OIDC_LISTEN_ADDRESS,
    usage: 'The address for the OIDC HTTP server',
  },
  'oidc-server-tls-enabled': { kind: 'bool', default: true, usage: 'Serve OIDC HTTP with TLS' },
  'oidc-server-tls-cert-file': {
    kind: 'string',
    default: '',
    usage: 'TLS certificate file for the OIDC HTTP server (required when it serves TLS)',
  },
  'oidc-server-tls-key-file': {
    kind: 'string',
    default: '',
    usage: 'TLS key file for the OIDC HTTP server (required when it serves TLS)',
  },
  'oidc-jwks-uri': {
    kind: 'string',
    default: '',
    usage: 'Custom URI where the JWKS can be accessed externally',
  },
  'oidc-path-prefix': { kind: 'string', default: '', usage: 'Path prefix to add to OIDC HTTP endpoints' },
  'oidc-allowed-hosts': {
    kind: 'stringSlice',
    default: [],
    usage: 'List of allowed hosts for OIDC HTTP endpoints',
  },
  kubeconfig: { kind: 'string', default: '', usage: 'absolute path to the kubeconfig file' }, // see sentryFlags
  ...COMMON_FLAGS,
});

export type SentryFlags = typeof SENTRY_FLAGS;

/** --kubeconfig defaults to ~/.kube/config when HOME is known, as upstream. */
export function sentryFlags(env: NodeJS.ProcessEnv): SentryFlags {
  const home = env.HOME ?? '';
  if (home === '') return SENTRY_FLAGS;
  return {
    ...SENTRY_FLAGS,
    kubeconfig: { ...SENTRY_FLAGS.kubeconfig, default: join(home, '.kube', 'config') },
  };
}

export interface JwtOptions {
  readonly enabled: boolean;
  readonly keyFilename: string;
  readonly jwksFilename: string;
  /** Only when given on the command line (an empty value still means "set"). */
  readonly issuer?: string;
  readonly signingAlgorithm: string;
  readonly keyId?: string;
  readonly ttlMs: number;
}

export interface OidcOptions {
  readonly enabled: boolean;
  readonly port: number;
  readonly listenAddress: string;
  readonly tlsEnabled: boolean;
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
  readonly jwksUri?: string;
  readonly pathPrefix?: string;
  readonly allowedHosts: readonly string[];
}

export interface SentryOptions extends CommonOptions {
  readonly configName: string;
  readonly issuerCredentialsPath: string;
  readonly rootCaFilename: string;
  readonly issuerCertFilename: string;
  readonly issuerKeyFilename: string;
  readonly trustDomain: string;
  readonly port: number;
  readonly listenAddress: string;
  readonly mode: (typeof MODES)[number];
  readonly kubeconfig: string;
  readonly jwt: JwtOptions;
  readonly oidc: OidcOptions;
  /** NAMESPACE: sentry's own namespace, which is also the control-plane namespace. */
  readonly namespace: string;
}

interface CrossFlagInput {
  readonly 'oidc-enabled': boolean;
  readonly 'oidc-server-tls-enabled': boolean;
  readonly 'jwt-enabled': boolean;
}

/** Upstream's rules that involve several flags; every violation is returned, as text. */
export function crossFlagViolations(v: CrossFlagInput, changed: ReadonlySet<string>): string[] {
  const violations: string[] = [];
  if (v['oidc-enabled'] && v['oidc-server-tls-enabled']) {
    for (const file of ['oidc-server-tls-cert-file', 'oidc-server-tls-key-file']) {
      if (!changed.has(file)) {
        violations.push(
          `${file} is required when the OIDC HTTP server is enabled (unless oidc-server-tls-enabled is false)`,
        );
      }
    }
  }
  if (changed.has('jwt-issuer') && !v['jwt-enabled']) {
    violations.push('jwt-issuer cannot be set when jwt-enabled is false');
  }
  return violations;
}

function schema(parsed: ParsedFlags<SentryFlags>, env: NodeJS.ProcessEnv): z.ZodType<SentryOptions> {
  const { changed } = parsed;
  const given = (name: string, value: string): string | undefined => (changed.has(name) ? value : undefined);
  return flagsSchema(sentryFlags(env))
    .extend({
      ...COMMON_RULES,
      mode: z.string().refine((m) => (MODES as readonly string[]).includes(m), {
        error: (issue) => `invalid mode: ${String(issue.input)}`,
      }),
      port: portRule('port'),
    })
    .superRefine((v, ctx) => {
      for (const message of crossFlagViolations(v, changed)) ctx.addIssue({ code: 'custom', message });
      // Upstream's security.CurrentNamespaceOrError: the control-plane namespace must be given.
      if (v.mode === 'kubernetes' && (env.NAMESPACE ?? '') === '') {
        ctx.addIssue({
          code: 'custom',
          message: 'NAMESPACE environment variable not set (required in Kubernetes mode)',
        });
      }
    })
    .transform((v): SentryOptions => ({
      ...commonOptions(v),
      configName: v.config,
      issuerCredentialsPath: v['issuer-credentials'],
      rootCaFilename: v['issuer-ca-filename'],
      issuerCertFilename: v['issuer-certificate-filename'],
      issuerKeyFilename: v['issuer-key-filename'],
      trustDomain: v['trust-domain'],
      port: v.port,
      listenAddress: v['listen-address'],
      mode: v.mode as SentryOptions['mode'],
      kubeconfig: v.kubeconfig,
      jwt: {
        enabled: v['jwt-enabled'],
        keyFilename: v['jwt-key-filename'],
        jwksFilename: v['jwks-filename'],
        issuer: given('jwt-issuer', v['jwt-issuer']),
        signingAlgorithm: v['jwt-signing-algorithm'],
        keyId: given('jwt-key-id', v['jwt-key-id']),
        ttlMs: v['jwt-ttl'],
      },
      oidc: {
        enabled: v['oidc-enabled'],
        port: v['oidc-server-listen-port'],
        listenAddress: v['oidc-server-listen-address'],
        tlsEnabled: v['oidc-server-tls-enabled'],
        tlsCertFile: given('oidc-server-tls-cert-file', v['oidc-server-tls-cert-file']),
        tlsKeyFile: given('oidc-server-tls-key-file', v['oidc-server-tls-key-file']),
        jwksUri: given('oidc-jwks-uri', v['oidc-jwks-uri']),
        pathPrefix: given('oidc-path-prefix', v['oidc-path-prefix']),
        allowedHosts: v['oidc-allowed-hosts'],
      },
      namespace: env.NAMESPACE ?? 'default',
    }));
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): OptionsOutcome<SentryOptions> {
  return resolveOptions(
    { program: 'sentry', flags: sentryFlags(env), schema: (parsed) => schema(parsed, env) },
    argv,
  );
}
