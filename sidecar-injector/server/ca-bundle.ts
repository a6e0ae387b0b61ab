// Keeps the MutatingWebhookConfiguration's caBundle equal to the trust anchors that signed the
// serving certificate (docs/contracts/injector-and-chart.md §4, §7 item 9): one JSONPatch on start and again
// whenever the anchors change. `add` instead of upstream's `replace`: the chart renders no
// caBundle, and `add` also works when the field is absent (docs/contracts/injector-and-chart.md §7 "free to design").
import type { HealthTarget } from '../../kit/health-targets.js';
import type { KubeApi } from '../../kit/kubernetes/client.js';
import { abortableDelay, type Delay } from '../../kit/kubernetes/list-watch.js';
import type { Logger } from '../../kit/logger.js';

export const WEBHOOK_CONFIGURATION_NAME = 'dapr-sidecar-injector';
const PATH = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${WEBHOOK_CONFIGURATION_NAME}`;
const RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

export function caBundlePatch(anchorsPem: Buffer): unknown[] {
  return [{ op: 'add', path: '/webhooks/0/clientConfig/caBundle', value: anchorsPem.toString('base64') }];
}

export interface CaBundleKeeperOptions {
  readonly api: KubeApi;
  readonly log: Logger;
  /** `webhook-configuration`: ready after the first successful patch. */
  readonly health?: HealthTarget;
  readonly delay?: Delay;
}

export class CaBundleKeeper {
  readonly #options: CaBundleKeeperOptions;
  /** The anchors to publish next; undefined until known. */
  #wanted: Buffer | undefined;
  #published: Buffer | undefined;
  #wake: (() => void) | undefined;

  constructor(options: CaBundleKeeperOptions) {
    this.#options = options;
  }

  /** Called with the current anchors at start and on every change. */
  update(anchorsPem: Buffer): void {
    this.#wanted = anchorsPem;
    this.#wake?.();
  }

  async #patch(anchors: Buffer, signal: AbortSignal): Promise<void> {
    await this.#options.api.request(PATH, {
      method: 'PATCH',
      contentType: 'application/json-patch+json',
      body: caBundlePatch(anchors),
      signal,
    });
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log, health } = this.#options;
    const delay = this.#options.delay ?? abortableDelay;
    let retryMs = RETRY_MS;
    while (!signal.aborted) {
      const wanted = this.#wanted;
      if (wanted === undefined || (this.#published !== undefined && this.#published.equals(wanted))) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.#wake = undefined;
            signal.removeEventListener('abort', done);
            resolve();
          };
          this.#wake = done;
          signal.addEventListener('abort', done, { once: true });
        });
        continue;
      }
      try {
        await this.#patch(wanted, signal);
        this.#published = wanted;
        retryMs = RETRY_MS;
        log.info(`Patched the caBundle of MutatingWebhookConfiguration ${WEBHOOK_CONFIGURATION_NAME}`);
        health?.ready();
      } catch (err) {
        if (signal.aborted) break;
        log.error(
          `Failed to patch the caBundle of MutatingWebhookConfiguration ${WEBHOOK_CONFIGURATION_NAME}: ` +
            `${err instanceof Error ? err.message : String(err)}; retrying in ${retryMs} ms`,
        );
        await delay(retryMs, signal);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    }
  }
}
