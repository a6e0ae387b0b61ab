// Where the JWT signing key and JWKS are kept, next to the X.509 bundle (docs/contracts/sentry.md §5): the
// files `jwt.key` and `jwks.json` in the credentials directory (self-hosted; absolute names
// override the directory), or the same two keys in the Secret `dapr-trust-bundle` with
// `jwks.json` also in the ConfigMap (Kubernetes). When either half is missing a new pair is
// generated and stored, as upstream does; a stored pair that does not check out stops sentry.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { isNotFound, type KubeApi } from '../../kit/kubernetes/client.js';
import type { Logger } from '../../kit/logger.js';
import { TRUST_BUNDLE_NAME } from '../ca/bundle-layout.js';
import {
  DEFAULT_JWT_ALGORITHM,
  generateJwtKeyFiles,
  JwtKeyError,
  loadSigningKey,
  MAX_JWKS_BYTES,
  type JwtKeyFiles,
  type JwtSigningKey,
  type SigningKeyOptions,
} from './keys.js';

/** Each half undefined when it is not stored at all (an empty value is stored, and checked). */
export interface StoredJwtKeys {
  readonly signingKeyPem?: Buffer;
  readonly jwksJson?: Buffer;
}

export interface JwtKeyStore {
  readonly description: string;
  read(): Promise<StoredJwtKeys>;
  write(files: JwtKeyFiles): Promise<void>;
}

/** The signing key to use: the stored pair, checked, or a new pair that is stored first. */
export async function loadOrCreateSigningKey(
  store: JwtKeyStore,
  options: SigningKeyOptions,
  log: Logger,
): Promise<JwtSigningKey> {
  const stored = await store.read();
  if (stored.signingKeyPem !== undefined && stored.jwksJson !== undefined) {
    const key = await loadSigningKey(
      { signingKeyPem: stored.signingKeyPem, jwksJson: stored.jwksJson },
      options,
    );
    log.info(`Using the JWT signing key from ${store.description} (kid ${key.kid}, ${key.algorithm})`);
    return key;
  }
  log.info(`Generating a JWT signing key and JWKS and persisting them to ${store.description}`);
  const files = await generateJwtKeyFiles();
  await store.write(files);
  // A generated key is RSA and always signs RS256 (upstream overrides the flag the same way).
  return loadSigningKey(files, { ...options, algorithm: DEFAULT_JWT_ALGORITHM });
}

export interface JwtFileNames {
  /** --jwt-key-filename and --jwks-filename. */
  readonly keyFilename: string;
  readonly jwksFilename: string;
}

/** Self-hosted: the two files, relative to --issuer-credentials unless absolute. */
export class FileJwtKeyStore implements JwtKeyStore {
  readonly description: string;
  readonly #keyPath: string;
  readonly #jwksPath: string;

  constructor(directory: string, names: JwtFileNames) {
    const resolve = (name: string): string => (isAbsolute(name) ? name : join(directory, name));
    this.#keyPath = resolve(names.keyFilename);
    this.#jwksPath = resolve(names.jwksFilename);
    this.description = `files ${this.#keyPath} and ${this.#jwksPath}`;
  }

  static async #readOptional(path: string): Promise<Buffer | undefined> {
    try {
      const data = await readFile(path);
      if (data.length > MAX_JWKS_BYTES)
        throw new JwtKeyError(`${path} is larger than ${MAX_JWKS_BYTES} bytes`);
      return data;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async read(): Promise<StoredJwtKeys> {
    const signingKeyPem = await FileJwtKeyStore.#readOptional(this.#keyPath);
    const jwksJson = await FileJwtKeyStore.#readOptional(this.#jwksPath);
    return {
      ...(signingKeyPem === undefined ? {} : { signingKeyPem }),
      ...(jwksJson === undefined ? {} : { jwksJson }),
    };
  }

  async write(files: JwtKeyFiles): Promise<void> {
    await writeFile(this.#keyPath, files.signingKeyPem, { mode: 0o600 });
    await writeFile(this.#jwksPath, files.jwksJson, { mode: 0o600 });
  }
}

interface DataObject {
  readonly data?: Readonly<Record<string, string>>;
}

/** Kubernetes: keys of the Secret (base64) and, for the JWKS, of the ConfigMap (plain). */
export class KubernetesJwtKeyStore implements JwtKeyStore {
  readonly description: string;
  readonly #api: KubeApi;
  readonly #namespace: string;
  readonly #keyName: string;
  readonly #jwksName: string;

  constructor(api: KubeApi, namespace: string, names: JwtFileNames) {
    this.#api = api;
    this.#namespace = namespace;
    this.#keyName = basename(names.keyFilename);
    this.#jwksName = basename(names.jwksFilename);
    this.description = `Secret ${namespace}/${TRUST_BUNDLE_NAME}`;
  }

  #path(kind: 'secrets' | 'configmaps'): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.#namespace)}/${kind}/${TRUST_BUNDLE_NAME}`;
  }

  async read(): Promise<StoredJwtKeys> {
    let secret: DataObject;
    try {
      secret = await this.#api.request<DataObject>(this.#path('secrets'));
    } catch (err) {
      if (isNotFound(err)) return {};
      throw err;
    }
    const get = (key: string): Buffer | undefined => {
      const value = secret.data?.[key];
      return value === undefined ? undefined : Buffer.from(value, 'base64');
    };
    const signingKeyPem = get(this.#keyName);
    const jwksJson = get(this.#jwksName);
    return {
      ...(signingKeyPem === undefined ? {} : { signingKeyPem }),
      ...(jwksJson === undefined ? {} : { jwksJson }),
    };
  }

  /** A JSON merge patch touches only the two keys; the CA's keys stay as they are. */
  async write(files: JwtKeyFiles): Promise<void> {
    const patch = (kind: 'secrets' | 'configmaps', data: Record<string, string>): Promise<unknown> =>
      this.#api.request(this.#path(kind), {
        method: 'PATCH',
        contentType: 'application/merge-patch+json',
        body: { data },
      });
    await patch('secrets', {
      [this.#keyName]: files.signingKeyPem.toString('base64'),
      [this.#jwksName]: files.jwksJson.toString('base64'),
    });
    await patch('configmaps', { [this.#jwksName]: files.jwksJson.toString('utf8') });
  }
}
