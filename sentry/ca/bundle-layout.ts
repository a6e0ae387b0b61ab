// The CA bundle as it is stored (docs/contracts/sentry.md §5): the Kubernetes Secret and ConfigMap
// `dapr-trust-bundle` in sentry's namespace, created empty by Helm, or three files in
// self-hosted mode; their key (and file) names and the data each holds. What sentry does with
// what it finds there is startup-decision.ts.
import { basename } from 'node:path';
import type { X509Bundle } from './bundle.js';

export const TRUST_BUNDLE_NAME = 'dapr-trust-bundle';

/** Key (and file) names: the base names of --issuer-ca/certificate/key-filename. */
export interface BundleKeys {
  readonly trustAnchors: string;
  readonly issuerChain: string;
  readonly issuerKey: string;
}

export function bundleKeys(files: {
  readonly rootCaFilename: string;
  readonly issuerCertFilename: string;
  readonly issuerKeyFilename: string;
}): BundleKeys {
  return {
    trustAnchors: basename(files.rootCaFilename),
    issuerChain: basename(files.issuerCertFilename),
    issuerKey: basename(files.issuerKeyFilename),
  };
}

/** The `data` of a Secret (base64 values) and of a ConfigMap (plain strings). */
export interface SecretShape {
  readonly data?: Readonly<Record<string, string>>;
}
export interface ConfigMapShape {
  readonly data?: Readonly<Record<string, string>>;
}

/** Secret data for a bundle, merged over the Secret's other keys (jwt.key, jwks.json stay). */
export function secretData(
  bundle: X509Bundle,
  keys: BundleKeys,
  existing: SecretShape = {},
): Record<string, string> {
  return {
    ...existing.data,
    [keys.trustAnchors]: bundle.trustAnchorsPem.toString('base64'),
    [keys.issuerChain]: bundle.issuerChainPem.toString('base64'),
    [keys.issuerKey]: bundle.issuerKeyPem.toString('base64'),
  };
}

/** ConfigMap data: ca.crt is what control-plane pods mount and the injector copies to daprd. */
export function configMapData(
  bundle: X509Bundle,
  keys: BundleKeys,
  existing: ConfigMapShape = {},
): Record<string, string> {
  return { ...existing.data, [keys.trustAnchors]: bundle.trustAnchorsPem.toString('utf8') };
}

/** What is stored, each part undefined when absent or empty. */
export interface StoredPems {
  readonly trustAnchors?: Buffer;
  readonly issuerChain?: Buffer;
  readonly issuerKey?: Buffer;
}

export function readSecret(secret: SecretShape, keys: BundleKeys): StoredPems {
  const get = (key: string): Buffer | undefined => {
    const value = secret.data?.[key];
    return value === undefined || value === '' ? undefined : Buffer.from(value, 'base64');
  };
  return {
    trustAnchors: get(keys.trustAnchors),
    issuerChain: get(keys.issuerChain),
    issuerKey: get(keys.issuerKey),
  };
}
