// What sentry reads from the `daprsystem` Configuration (docs/contracts/sentry.md §3 "Trust-domain choice",
// §4 "Default and enabled validators"): spec.mtls.workloadCertTTL (Go duration, default 24h),
// spec.mtls.allowedClockSkew (default 15m) and spec.mtls.tokenValidators. In Kubernetes mode the
// object is dapr.io/v1alpha1 Configuration `--config` in sentry's namespace; in self-hosted mode
// --config is a YAML file, with $VAR / ${VAR} expanded from the environment first, as upstream.
// spec.mtls.controlPlaneTrustDomain is ignored: upstream overwrites it with --trust-domain.
//
// Deviation: upstream exits when the Configuration (or file) does not exist; here the defaults
// apply and a warning says so. A Configuration that exists but is invalid is still fatal.
import { readFile } from 'node:fs/promises';
import { isNotFound, type KubeApi } from '../kit/kubernetes/client.js';
import { parseGoDuration, ValueError } from '../kit/go-values.js';
import { DEFAULT_ALLOWED_CLOCK_SKEW_MS, DEFAULT_WORKLOAD_CERT_TTL_MS } from './ca/profile.js';
import { configurationPath } from '../kit/dapr/resources.js';

export interface TokenValidatorSpec {
  /** As written (upstream compares case-insensitively). */
  readonly name: string;
  readonly options?: unknown;
}

export interface SentryConfig {
  readonly workloadCertTtlMs: number;
  readonly allowedClockSkewMs: number;
  readonly tokenValidators: readonly TokenValidatorSpec[];
}

export const DEFAULT_SENTRY_CONFIG: SentryConfig = {
  workloadCertTtlMs: DEFAULT_WORKLOAD_CERT_TTL_MS,
  allowedClockSkewMs: DEFAULT_ALLOWED_CLOCK_SKEW_MS,
  tokenValidators: [],
};

/** The Configuration exists but cannot be used; startup fails with this message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadedConfig {
  readonly config: SentryConfig;
  /** False when nothing was found and the defaults apply. */
  readonly found: boolean;
  /** `Configuration dapr-system/daprsystem` or `file /path`. */
  readonly source: string;
}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function duration(mtls: Obj, field: string, fallback: number): number {
  const text = mtls[field];
  if (text === undefined || text === null || text === '') return fallback;
  if (typeof text !== 'string') throw new ConfigError(`spec.mtls.${field} must be a duration string`);
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (err) {
    const reason = err instanceof ValueError ? err.reason : String(err);
    throw new ConfigError(`error parsing ${field} duration ${JSON.stringify(text)}: ${reason}`, {
      cause: err,
    });
  }
  if (ms < 0) throw new ConfigError(`spec.mtls.${field} must not be negative: ${text}`);
  return ms;
}

function tokenValidators(mtls: Obj): TokenValidatorSpec[] {
  const list = mtls.tokenValidators;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new ConfigError('spec.mtls.tokenValidators must be a list');
  return (list as unknown[]).map((entry, i) => {
    if (!isObj(entry) || typeof entry.name !== 'string') {
      throw new ConfigError(`spec.mtls.tokenValidators[${i}] needs a name`);
    }
    return { name: entry.name, options: entry.options };
  });
}

/** Reads a Configuration's `spec`; anything missing takes its default. Throws ConfigError. */
export function sentryConfigFromSpec(spec: unknown): SentryConfig {
  const mtls = isObj(spec) && isObj(spec.mtls) ? spec.mtls : {};
  const workloadCertTtlMs = duration(mtls, 'workloadCertTTL', DEFAULT_WORKLOAD_CERT_TTL_MS);
  if (workloadCertTtlMs === 0) throw new ConfigError('spec.mtls.workloadCertTTL must be positive');
  return {
    workloadCertTtlMs,
    allowedClockSkewMs: duration(mtls, 'allowedClockSkew', DEFAULT_ALLOWED_CLOCK_SKEW_MS),
    tokenValidators: tokenValidators(mtls),
  };
}

const SHELL_SPECIAL = /^[*#$@!?\-0-9]/;
const NAME = /^[A-Za-z0-9_]+/;

/**
 * What follows a `$`, as Go's getShellName reads it: the variable's name and how many characters
 * it takes. An empty name with a length is bad syntax (dropped); with length 0, the `$` stays.
 */
function shellName(rest: string): { name: string; length: number } {
  if (rest.startsWith('{')) {
    const close = rest.indexOf('}');
    if (close < 0) return { name: '', length: 1 }; // unclosed "${": drop the brace
    if (close === 1) return { name: '', length: 2 }; // "${}"
    return { name: rest.slice(1, close), length: close + 1 };
  }
  if (SHELL_SPECIAL.test(rest)) return { name: rest[0]!, length: 1 };
  const name = NAME.exec(rest)?.[0] ?? '';
  return { name, length: name.length };
}

/**
 * Go's os.ExpandEnv: `${NAME}` and `$NAME` become the variable's value (empty when unset); `$`
 * followed by a shell special character names that one-character variable; a lone `$` stays.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv): string {
  let out = '';
  let i = 0;
  for (
    let dollar = text.indexOf('$');
    dollar >= 0 && dollar < text.length - 1;
    dollar = text.indexOf('$', i)
  ) {
    out += text.slice(i, dollar);
    const { name, length } = shellName(text.slice(dollar + 1));
    if (name !== '') out += env[name] ?? '';
    else if (length === 0) out += '$';
    i = dollar + 1 + length;
  }
  return out + text.slice(i);
}

/** A self-hosted Configuration file's text (a whole Configuration document). */
export async function sentryConfigFromYaml(text: string, env: NodeJS.ProcessEnv): Promise<SentryConfig> {
  // Loaded only here: Kubernetes mode never needs the YAML parser's 3 MB.
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(expandEnv(text, env));
  } catch (err) {
    throw new ConfigError(`not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  return sentryConfigFromSpec(isObj(doc) ? doc.spec : undefined);
}

export async function loadStandaloneConfig(path: string, env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  const source = `file ${path}`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { config: DEFAULT_SENTRY_CONFIG, found: false, source };
    }
    throw new ConfigError(`cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { config: await sentryConfigFromYaml(text, env), found: true, source };
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`, { cause: err });
  }
}

export async function loadKubernetesConfig(
  api: KubeApi,
  namespace: string,
  name: string,
): Promise<LoadedConfig> {
  const source = `Configuration ${namespace}/${name}`;
  let object: { spec?: unknown };
  try {
    object = await api.request<{ spec?: unknown }>(configurationPath(namespace, name));
  } catch (err) {
    // Also the answer when Dapr's CRDs are not installed.
    if (isNotFound(err)) return { config: DEFAULT_SENTRY_CONFIG, found: false, source };
    throw new ConfigError(`cannot read ${source}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return { config: sentryConfigFromSpec(object.spec), found: true, source };
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`, { cause: err });
  }
}
