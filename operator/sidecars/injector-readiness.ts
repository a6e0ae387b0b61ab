// Reads the sidecar injector's pods for the missing-sidecar detector (cause.ts decides with what
// it finds): one bounded GET list in the control-plane namespace, shared by every finding of a few
// seconds (a leader that relists reports many pods at once) and by callers while it is under way.
import type { KubeApi } from '../../kit/kubernetes/client.js';
import type { Logger } from '../../kit/logger.js';
import { INJECTOR_POD_SELECTOR, injectorReadiness, type InjectorReadiness } from './cause.js';

/** How long one read answers for. */
const CACHE_MS = 5_000;
/** The chart runs a few injector pods; a list longer than this is partial and answers `unknown`. */
const LIST_LIMIT = 100;
const TIMEOUT_MS = 10_000;

export interface InjectorReadinessReaderOptions {
  readonly api: KubeApi;
  /** The control-plane namespace (the operator's own, NAMESPACE). */
  readonly namespace: string;
  readonly log: Logger;
  readonly now?: () => number;
}

export class InjectorReadinessReader {
  readonly #o: InjectorReadinessReaderOptions;
  readonly #path: string;
  #last: { at: number; readiness: Promise<InjectorReadiness> } | undefined;

  constructor(options: InjectorReadinessReaderOptions) {
    this.#o = options;
    this.#path = `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`;
  }

  /** The injector's readiness as read at most CACHE_MS ago; `unknown` when the read fails. Never rejects. */
  read(signal?: AbortSignal): Promise<InjectorReadiness> {
    const now = (this.#o.now ?? Date.now)();
    if (this.#last !== undefined && now - this.#last.at < CACHE_MS) return this.#last.readiness;
    const readiness = this.#list(signal);
    this.#last = { at: now, readiness };
    return readiness;
  }

  async #list(signal: AbortSignal | undefined): Promise<InjectorReadiness> {
    try {
      const list = await this.#o.api.request<unknown>(this.#path, {
        query: { labelSelector: INJECTOR_POD_SELECTOR, limit: LIST_LIMIT },
        signal,
        timeoutMs: TIMEOUT_MS,
      });
      return injectorReadiness(list, this.#o.namespace);
    } catch (err) {
      this.#o.log.debug(`Could not read the sidecar injector's pods in ${this.#o.namespace}: ${String(err)}`);
      return { state: 'unknown' };
    }
  }
}
