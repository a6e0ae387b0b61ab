// The self-hosted store: three PEM files, by default ca.crt, issuer.crt and issuer.key in
// --issuer-credentials; an absolute --issuer-*-filename points elsewhere (docs/contracts/sentry.md §5).
// Generated files are written with mode 0600 and the directory must exist, as upstream.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { X509Bundle } from './bundle.js';
import type { BundleKeys, StoredPems } from './bundle-layout.js';
import { decideSelfHostedStartup } from './startup-decision.js';
import { fingerprintOf, type CaStore, type StoreSnapshot } from './ca-store.js';

export interface CredentialPaths {
  readonly trustAnchors: string;
  readonly issuerChain: string;
  readonly issuerKey: string;
}

/** Each file in the credentials directory unless its flag gives an absolute path. */
export function credentialPaths(options: {
  readonly issuerCredentialsPath: string;
  readonly rootCaFilename: string;
  readonly issuerCertFilename: string;
  readonly issuerKeyFilename: string;
}): CredentialPaths {
  const resolve = (file: string): string =>
    isAbsolute(file) ? file : join(options.issuerCredentialsPath, file);
  return {
    trustAnchors: resolve(options.rootCaFilename),
    issuerChain: resolve(options.issuerCertFilename),
    issuerKey: resolve(options.issuerKeyFilename),
  };
}

/** The directories holding the credential files (what is watched for changes). */
export function credentialDirectories(paths: CredentialPaths): string[] {
  return [...new Set([paths.trustAnchors, paths.issuerChain, paths.issuerKey].map((p) => dirname(p)))].sort();
}

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    const data = await readFile(path);
    return data.length === 0 ? undefined : data;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`failed to read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export interface FileCaStoreOptions {
  readonly paths: CredentialPaths;
  /** --issuer-credentials, for messages. */
  readonly directory: string;
  readonly keys: BundleKeys;
}

export class FileCaStore implements CaStore {
  readonly #options: FileCaStoreOptions;
  readonly description: string;

  constructor(options: FileCaStoreOptions) {
    this.#options = options;
    this.description = `directory ${options.directory}`;
  }

  async #stored(): Promise<StoredPems> {
    const { paths } = this.#options;
    const [trustAnchors, issuerChain, issuerKey] = await Promise.all([
      readOptional(paths.trustAnchors),
      readOptional(paths.issuerChain),
      readOptional(paths.issuerKey),
    ]);
    return { trustAnchors, issuerChain, issuerKey };
  }

  async read(): Promise<StoreSnapshot> {
    const { paths, directory, keys } = this.#options;
    const stored = await this.#stored();
    return {
      decision: decideSelfHostedStartup(stored, directory, keys),
      fingerprint: fingerprintOf(stored),
      saveBundle: async (bundle: X509Bundle) => {
        const files: [string, Buffer][] = [
          [paths.trustAnchors, bundle.trustAnchorsPem],
          [paths.issuerChain, bundle.issuerChainPem],
          [paths.issuerKey, bundle.issuerKeyPem],
        ];
        for (const [path, data] of files) {
          try {
            await writeFile(path, data, { mode: 0o600 });
          } catch (err) {
            throw new Error(`failed to write file ${path}: ${(err as Error).message}`, { cause: err });
          }
        }
        return fingerprintOf({
          trustAnchors: bundle.trustAnchorsPem,
          issuerChain: bundle.issuerChainPem,
          issuerKey: bundle.issuerKeyPem,
        });
      },
      // The anchors file is what self-hosted clients read; saveBundle already wrote it.
      publishAnchors: () => Promise.resolve(),
    };
  }

  async currentFingerprint(): Promise<string> {
    return fingerprintOf(await this.#stored());
  }
}
