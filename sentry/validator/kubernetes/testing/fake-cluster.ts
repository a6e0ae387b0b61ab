// In-memory stand-ins for the apiserver: a TokenReview table and a Pod/Configuration store.
import { untilAborted } from '../../../../kit/runner.js';
import type {
  ConfigurationInfo,
  KubernetesLookup,
  PodInfo,
  TokenReviewer,
  TokenReviewStatus,
} from '../kubernetes.js';

/** Builds an unsigned token carrying the claims the validator reads (TokenReview is faked). */
export function fakeServiceAccountToken(podName: string | undefined): string {
  const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = podName === undefined ? { sub: 'x' } : { 'kubernetes.io': { pod: { name: podName } } };
  return `${segment({ alg: 'RS256', typ: 'JWT' })}.${segment(claims)}.c2ln`;
}

export class FakeTokenReviews {
  readonly #reviews = new Map<string, TokenReviewStatus>();
  #failure: Error | undefined;
  /** Every call's audiences, to assert what the validator asked for. */
  readonly audiences: (readonly string[])[] = [];

  /** `token` authenticates as system:serviceaccount:<namespace>:<serviceAccount>. */
  withServiceAccount(token: string, namespace: string, serviceAccount: string): this {
    this.#reviews.set(token, {
      authenticated: true,
      username: `system:serviceaccount:${namespace}:${serviceAccount}`,
      error: '',
    });
    return this;
  }

  withStatus(token: string, status: TokenReviewStatus): this {
    this.#reviews.set(token, status);
    return this;
  }

  /** Every review rejects with `error` (an unreachable apiserver). */
  withFailure(error: Error): this {
    this.#failure = error;
    return this;
  }

  readonly reviewer: TokenReviewer = (token, audiences) => {
    this.audiences.push(audiences);
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const found = this.#reviews.get(token);
    return Promise.resolve(found ?? { authenticated: false, username: '', error: '' });
  };
}

export class FakeLookup implements KubernetesLookup {
  readonly #pods = new Map<string, PodInfo>();
  readonly #configs = new Map<string, ConfigurationInfo>();
  #ready = true;
  #failure: Error | undefined;

  withPod(pod: PodInfo): this {
    this.#pods.set(`${pod.namespace}/${pod.name}`, pod);
    return this;
  }

  withConfiguration(namespace: string, name: string, config: ConfigurationInfo): this {
    this.#configs.set(`${namespace}/${name}`, config);
    return this;
  }

  withReady(ready: boolean): this {
    this.#ready = ready;
    return this;
  }

  withFailure(error: Error): this {
    this.#failure = error;
    return this;
  }

  run(signal: AbortSignal): Promise<void> {
    return untilAborted(signal);
  }

  whenReady(): Promise<void> {
    return this.#ready ? Promise.resolve() : new Promise(() => undefined);
  }

  isReady(): boolean {
    return this.#ready;
  }

  getPod(namespace: string, name: string): Promise<PodInfo | undefined> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return Promise.resolve(this.#pods.get(`${namespace}/${name}`));
  }

  getConfiguration(namespace: string, name: string): Promise<ConfigurationInfo | undefined> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return Promise.resolve(this.#configs.get(`${namespace}/${name}`));
  }
}
