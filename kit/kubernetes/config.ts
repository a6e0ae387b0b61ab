// How a control-plane service reaches the apiserver, in the order Dapr's services look (utils
// GetConfig): in-cluster first (the pod's service-account token and CA, KUBERNETES_SERVICE_HOST
// and _PORT), else the kubeconfig file named by --kubeconfig / KUBECONFIG.
//
// Only the kubeconfig features a control-plane service meets are read: server, CA (file or
// data), insecure-skip-tls-verify, tls-server-name, client certificate and key (file or data),
// bearer token (inline or file) and basic auth. `exec` and `auth-provider` users are refused with
// a clear error rather than half-supported. This module needs no Kubernetes library: the full
// @kubernetes/client-node costs about 60 MB of RSS, even when only its config module is loaded.
// The YAML parser (3 MB) is loaded only when there is a kubeconfig to read.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';

export const IN_CLUSTER_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';
export const IN_CLUSTER_CA_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

export interface KubeConnection {
  /** Base URL of the apiserver, without a trailing slash. */
  readonly server: string;
  /** PEM of the CA that signed the apiserver's certificate; the system roots when absent. */
  readonly ca?: Buffer;
  readonly clientCert?: Buffer;
  readonly clientKey?: Buffer;
  readonly token?: string;
  /** Re-read periodically: projected service-account tokens rotate. */
  readonly tokenFile?: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  /** Where this came from, for logs: `in-cluster` or `kubeconfig <path>`. */
  readonly source: string;
}

export class KubeConfigError extends Error {
  override readonly name = 'KubeConfigError';
}

/** File access, injected so the parsing is testable without a filesystem. */
export interface ConfigFiles {
  read(path: string): Buffer;
  exists(path: string): boolean;
}

const realFiles: ConfigFiles = {
  read: (path) => readFileSync(path),
  exists: (path) => existsSync(path),
};

/** rest.InClusterConfig: undefined when not running in a pod (no env or no token). */
export function inClusterConnection(
  env: NodeJS.ProcessEnv,
  files: ConfigFiles = realFiles,
): KubeConnection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  if (host === '' || port === '' || !files.exists(IN_CLUSTER_TOKEN_FILE)) return undefined;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    server: `https://${hostPart}:${port}`,
    ca: files.exists(IN_CLUSTER_CA_FILE) ? files.read(IN_CLUSTER_CA_FILE) : undefined,
    tokenFile: IN_CLUSTER_TOKEN_FILE,
    insecureSkipTlsVerify: false,
    source: 'in-cluster',
  };
}

type YamlMap = Readonly<Record<string, unknown>>;

function isMap(value: unknown): value is YamlMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(map: YamlMap, key: string): string | undefined {
  const value = map[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The `cluster`/`user`/`context` body of the named entry of a kubeconfig list. */
function named(doc: YamlMap, list: string, field: string, name: string): YamlMap {
  const entries = doc[list];
  const entry = Array.isArray(entries)
    ? (entries as unknown[]).find((e) => isMap(e) && e.name === name)
    : undefined;
  if (!isMap(entry)) throw new KubeConfigError(`kubeconfig has no ${field} named ${JSON.stringify(name)}`);
  const body = entry[field];
  return isMap(body) ? body : {};
}

/** A `<key>-data` (base64) or `<key>` (file, relative to the kubeconfig) value. */
function material(map: YamlMap, key: string, baseDir: string, files: ConfigFiles): Buffer | undefined {
  const data = str(map, `${key}-data`);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const file = str(map, key);
  if (file === undefined) return undefined;
  const path = isAbsolute(file) ? file : join(baseDir, file);
  try {
    return files.read(path);
  } catch (err) {
    throw new KubeConfigError(`cannot read ${key} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function userCredentials(
  user: YamlMap,
  baseDir: string,
  files: ConfigFiles,
): Pick<KubeConnection, 'clientCert' | 'clientKey' | 'token' | 'tokenFile' | 'username' | 'password'> {
  if (user.exec !== undefined || user['auth-provider'] !== undefined) {
    throw new KubeConfigError(
      'kubeconfig users with exec or auth-provider credentials are not supported: use a client certificate or a token',
    );
  }
  const tokenFile = str(user, 'tokenFile');
  return {
    clientCert: material(user, 'client-certificate', baseDir, files),
    clientKey: material(user, 'client-key', baseDir, files),
    token: str(user, 'token'),
    tokenFile: tokenFile === undefined || isAbsolute(tokenFile) ? tokenFile : join(baseDir, tokenFile),
    username: str(user, 'username'),
    password: str(user, 'password'),
  };
}

/** A walk from the end, not /\/+$/: that regex retries at every slash of a run (quadratic). */
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}

/** Reads the current context of a parsed kubeconfig; `path` resolves relative file names. */
export function kubeconfigConnection(
  doc: unknown,
  path: string,
  files: ConfigFiles = realFiles,
): KubeConnection {
  if (!isMap(doc)) throw new KubeConfigError(`kubeconfig ${path} is empty`);
  const contextName = str(doc, 'current-context');
  if (contextName === undefined) throw new KubeConfigError(`kubeconfig ${path} has no current-context`);
  const context = named(doc, 'contexts', 'context', contextName);
  const cluster = named(doc, 'clusters', 'cluster', str(context, 'cluster') ?? '');
  const user = str(context, 'user') === undefined ? {} : named(doc, 'users', 'user', str(context, 'user')!);
  const server = str(cluster, 'server');
  if (server === undefined) throw new KubeConfigError(`kubeconfig ${path}: cluster has no server`);
  const baseDir = dirname(path);
  return {
    server: withoutTrailingSlashes(server),
    ca: material(cluster, 'certificate-authority', baseDir, files),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: str(cluster, 'tls-server-name'),
    ...userCredentials(user, baseDir, files),
    source: `kubeconfig ${path}`,
  };
}

export interface LoadConnectionOptions {
  /** --kubeconfig (upstream exports it as KUBECONFIG); used when not running in a pod. */
  readonly kubeconfig: string;
  readonly env: NodeJS.ProcessEnv;
  readonly files?: ConfigFiles;
}

/** In-cluster when possible, else the kubeconfig file; rejects with KubeConfigError. */
export async function loadKubeConnection(options: LoadConnectionOptions): Promise<KubeConnection> {
  const files = options.files ?? realFiles;
  const inCluster = inClusterConnection(options.env, files);
  if (inCluster !== undefined) return inCluster;
  const path = options.kubeconfig !== '' ? options.kubeconfig : (options.env.KUBECONFIG ?? '');
  if (path === '') {
    throw new KubeConfigError('not running in a pod and no kubeconfig given (--kubeconfig or KUBECONFIG)');
  }
  let text: string;
  try {
    text = files.read(path).toString('utf8');
  } catch (err) {
    throw new KubeConfigError(`cannot read kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
  }
  const { parse } = await import('yaml');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path} is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return kubeconfigConnection(doc, path, files);
}
