// The Kubernetes store: Secret `dapr-trust-bundle` (ca.crt, issuer.crt, issuer.key, base64) and
// ConfigMap `dapr-trust-bundle` (ca.crt, plain PEM) in sentry's namespace, read through the API
// as upstream does. Objects that exist are replaced with the resourceVersion that was read (a
// concurrent writer makes the write fail with a conflict instead of being overwritten); missing
// ones are created. Other keys in both objects (jwt.key, jwks.json, labels) are kept.
import { isConflict, isNotFound, type KubeApi } from '../../kit/kubernetes/client.js';
import type { X509Bundle } from './bundle.js';
import {
  configMapData,
  readSecret,
  secretData,
  TRUST_BUNDLE_NAME,
  type BundleKeys,
} from './bundle-layout.js';
import { decideKubernetesStartup } from './startup-decision.js';
import { fingerprintOf, StoreConflictError, type CaStore, type StoreSnapshot } from './ca-store.js';

export interface KubernetesCaStoreOptions {
  readonly api: KubeApi;
  /** NAMESPACE: sentry's, where the objects live. */
  readonly namespace: string;
  readonly keys: BundleKeys;
}

interface StoredObject {
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly data?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

export class KubernetesCaStore implements CaStore {
  readonly #options: KubernetesCaStoreOptions;
  readonly description: string;

  constructor(options: KubernetesCaStoreOptions) {
    this.#options = options;
    this.description = `Secret ${options.namespace}/${TRUST_BUNDLE_NAME}`;
  }

  #path(kind: 'secrets' | 'configmaps', name?: string): string {
    const ns = encodeURIComponent(this.#options.namespace);
    return `/api/v1/namespaces/${ns}/${kind}${name === undefined ? '' : `/${name}`}`;
  }

  async #get(kind: 'secrets' | 'configmaps'): Promise<StoredObject | undefined> {
    try {
      return await this.#options.api.request<StoredObject>(this.#path(kind, TRUST_BUNDLE_NAME));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** PUT over the object that was read (its resourceVersion guards it), or POST a new one. */
  async #write(
    kind: 'secrets' | 'configmaps',
    existing: StoredObject | undefined,
    data: Record<string, string>,
  ): Promise<void> {
    const { api, namespace } = this.#options;
    try {
      if (existing !== undefined) {
        await api.request(this.#path(kind, TRUST_BUNDLE_NAME), {
          method: 'PUT',
          body: { ...existing, data },
        });
        return;
      }
      const body =
        kind === 'secrets'
          ? {
              apiVersion: 'v1',
              kind: 'Secret',
              type: 'Opaque',
              metadata: { name: TRUST_BUNDLE_NAME, namespace },
              data,
            }
          : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: TRUST_BUNDLE_NAME, namespace }, data };
      await api.request(this.#path(kind), { method: 'POST', body });
    } catch (err) {
      if (isConflict(err)) {
        throw new StoreConflictError(`${kind}/${TRUST_BUNDLE_NAME} changed while sentry was writing it`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async read(): Promise<StoreSnapshot> {
    const { keys, namespace } = this.#options;
    const [secret, configMap] = await Promise.all([this.#get('secrets'), this.#get('configmaps')]);
    const decision = decideKubernetesStartup({ secret, configMap, keys, namespace });
    const publishAnchors = (bundle: X509Bundle): Promise<void> =>
      this.#write('configmaps', configMap, configMapData(bundle, keys, configMap));
    return {
      decision,
      fingerprint: fingerprintOf(readSecret(secret ?? {}, keys)),
      saveBundle: async (bundle) => {
        await this.#write('secrets', secret, secretData(bundle, keys, secret));
        await publishAnchors(bundle);
        return fingerprintOf({
          trustAnchors: bundle.trustAnchorsPem,
          issuerChain: bundle.issuerChainPem,
          issuerKey: bundle.issuerKeyPem,
        });
      },
      publishAnchors,
    };
  }

  async currentFingerprint(): Promise<string> {
    return fingerprintOf(readSecret((await this.#get('secrets')) ?? {}, this.#options.keys));
  }
}
