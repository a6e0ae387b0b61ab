// Thin adapters from @kubernetes/client-node to the validator's interfaces. Only types are
// imported here: the caller builds the API objects (loading client-node once per process), so a
// sentry without the Kubernetes validator never pays the library's ~80 MB of RSS.
// DirectLookup reads with a GET per request; an informer-backed lookup can replace it without
// touching the validator.
import type { AuthenticationV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { untilAborted } from '../../../kit/runner.js';
import { SentryError } from '../../errors.js';
import type { ConfigurationInfo, KubernetesLookup, PodInfo, TokenReviewer } from './kubernetes.js';

/** HTTP status of a client-node ApiException, or undefined for transport errors. */
function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** No answer, 429 or 5xx: the apiserver may well answer the next attempt. */
function isTransient(err: unknown): boolean {
  const code = statusCode(err);
  return code === undefined || code === 429 || code >= 500;
}

export function tokenReviewer(api: AuthenticationV1Api): TokenReviewer {
  return async (token, audiences) => {
    try {
      const review = await api.createTokenReview({
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          spec: { token, audiences: [...audiences] },
        },
      });
      const status = review.status ?? {};
      return {
        authenticated: status.authenticated === true,
        username: status.user?.username ?? '',
        error: status.error ?? '',
      };
    } catch (err) {
      if (isTransient(err)) throw new SentryError('unavailable', 'token review failed', { cause: err });
      throw err;
    }
  };
}

export interface DirectLookupOptions {
  readonly core: CoreV1Api;
  readonly customObjects: CustomObjectsApi;
}

/** Reads each Pod and Configuration from the apiserver when asked; always ready. */
export class DirectLookup implements KubernetesLookup {
  readonly #options: DirectLookupOptions;

  constructor(options: DirectLookupOptions) {
    this.#options = options;
  }

  run(signal: AbortSignal): Promise<void> {
    return untilAborted(signal);
  }

  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  isReady(): boolean {
    return true;
  }

  async getPod(namespace: string, name: string): Promise<PodInfo | undefined> {
    try {
      const pod = await this.#options.core.readNamespacedPod({ namespace, name });
      return {
        namespace: pod.metadata?.namespace ?? namespace,
        name: pod.metadata?.name ?? name,
        serviceAccountName: pod.spec?.serviceAccountName ?? '',
        annotations: pod.metadata?.annotations ?? {},
      };
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  async getConfiguration(namespace: string, name: string): Promise<ConfigurationInfo | undefined> {
    try {
      const config = (await this.#options.customObjects.getNamespacedCustomObject({
        group: 'dapr.io',
        version: 'v1alpha1',
        namespace,
        plural: 'configurations',
        name,
      })) as { spec?: { accessControl?: { trustDomain?: unknown } } };
      const td = config.spec?.accessControl?.trustDomain;
      return typeof td === 'string' ? { accessControlTrustDomain: td } : {};
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }
}
