// The validator's apiserver calls on the kit's JSON client: TokenReview, and single reads of a
// Pod or a dapr.io Configuration. DirectLookup answers every lookup with a GET; PodCache (in
// pod-cache.ts) serves Pods from a watch and uses readPod only on a cache miss.
import { isNotFound, isTransient, type KubeApi } from '../../../kit/kubernetes/client.js';
import { untilAborted } from '../../../kit/runner.js';
import { SentryError } from '../../errors.js';
import {
  type ConfigurationInfo,
  type KubernetesLookup,
  type PodInfo,
  type TokenReviewer,
} from './kubernetes.js';
import { DAPR_ANNOTATIONS } from '../../../kit/dapr/annotations.js';
import { configurationPath } from '../../../kit/dapr/resources.js';

interface TokenReviewObject {
  readonly status?: {
    readonly authenticated?: boolean;
    readonly user?: { readonly username?: string };
    readonly error?: string;
  };
}

export function tokenReviewer(api: KubeApi): TokenReviewer {
  return async (token, audiences) => {
    try {
      const review = await api.request<TokenReviewObject>('/apis/authentication.k8s.io/v1/tokenreviews', {
        method: 'POST',
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

/** The annotations the validator reads; every other one is dropped to keep the cache small. */
const KEPT_ANNOTATIONS = [DAPR_ANNOTATIONS.appId, DAPR_ANNOTATIONS.config, DAPR_ANNOTATIONS.controlPlane];

interface PodObject {
  readonly metadata?: {
    readonly namespace?: unknown;
    readonly name?: unknown;
    readonly annotations?: Readonly<Record<string, unknown>> | null;
  };
  readonly spec?: { readonly serviceAccountName?: unknown };
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function keptAnnotations(all: Readonly<Record<string, unknown>> | null | undefined): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const key of KEPT_ANNOTATIONS) {
    const value = text(all?.[key]);
    if (value !== undefined) kept[key] = value;
  }
  return kept;
}

/** A Pod reduced to what the validator needs; undefined for something that is not a Pod. */
export function podInfoFrom(raw: unknown): PodInfo | undefined {
  const { metadata, spec } = (raw ?? {}) as PodObject;
  const namespace = text(metadata?.namespace);
  const name = text(metadata?.name);
  if (namespace === undefined || name === undefined) return undefined;
  return {
    namespace,
    name,
    serviceAccountName: text(spec?.serviceAccountName) ?? '',
    annotations: keptAnnotations(metadata?.annotations),
  };
}

const segment = encodeURIComponent;

export async function readPod(api: KubeApi, namespace: string, name: string): Promise<PodInfo | undefined> {
  try {
    const raw = await api.request<unknown>(`/api/v1/namespaces/${segment(namespace)}/pods/${segment(name)}`);
    return podInfoFrom(raw);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function readConfiguration(
  api: KubeApi,
  namespace: string,
  name: string,
): Promise<ConfigurationInfo | undefined> {
  try {
    const config = await api.request<{ spec?: { accessControl?: { trustDomain?: unknown } } }>(
      configurationPath(namespace, name),
    );
    const td = config.spec?.accessControl?.trustDomain;
    return typeof td === 'string' ? { accessControlTrustDomain: td } : {};
  } catch (err) {
    // Also what an apiserver without Dapr's CRDs answers.
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Reads each Pod and Configuration from the apiserver when asked; always ready. */
export class DirectLookup implements KubernetesLookup {
  readonly #api: KubeApi;

  constructor(api: KubeApi) {
    this.#api = api;
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

  getPod(namespace: string, name: string): Promise<PodInfo | undefined> {
    return readPod(this.#api, namespace, name);
  }

  getConfiguration(namespace: string, name: string): Promise<ConfigurationInfo | undefined> {
    return readConfiguration(this.#api, namespace, name);
  }
}
