// Keeps the `subscriptions.dapr.io` CRD pointing at this operator (docs/contracts/operator.md §3, "CRD
// patching"): the conversion webhook's service namespace is the operator's namespace (a webhook
// configured by `url` instead keeps its url), and its caBundle is the trust-anchor PEM (the CA that signed the SVID the webhook serves). Checked at
// startup and again every time the trust anchors change. It runs on every replica, like
// upstream's; the chart grants only get and patch on CRDs, so the write is a JSON patch.
import type { HealthTarget } from '../../kit/health-targets.js';
import { isNotFound, isTransient, type KubeApi } from '../../kit/kubernetes/client.js';
import {
  abortableDelay,
  nextBackoff,
  INITIAL_BACKOFF_MS,
  type Delay,
} from '../../kit/kubernetes/list-watch.js';
import type { Logger } from '../../kit/logger.js';
import { orAborted } from '../../kit/runner.js';

export const SUBSCRIPTIONS_CRD = 'subscriptions.dapr.io';
export const CRD_PATH = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${SUBSCRIPTIONS_CRD}`;

/** What the SecurityProvider offers for the trust anchors. */
export interface TrustAnchorSource {
  addCaCertificateListener(listener: (update: { caCertificate: Buffer } | null) => void): void;
  removeCaCertificateListener(listener: (update: { caCertificate: Buffer } | null) => void): void;
}

interface Crd {
  readonly spec?: {
    readonly conversion?: {
      readonly webhook?: {
        readonly clientConfig?: {
          readonly caBundle?: string;
          readonly url?: string;
          readonly service?: { readonly namespace?: string };
        };
      };
    };
  };
}

/** The CRD cannot be fixed by retrying: upstream exits. */
export class CrdNotPatchableError extends Error {
  override readonly name = 'CrdNotPatchableError';
}

/** The JSON patch that makes the CRD right, or undefined when it already is. */
export function caBundlePatch(
  crd: Crd,
  namespace: string,
  anchorsPem: Buffer,
): { op: string; path: string; value: string }[] | undefined {
  const clientConfig = crd.spec?.conversion?.webhook?.clientConfig;
  if (clientConfig === undefined) {
    throw new CrdNotPatchableError(`${SUBSCRIPTIONS_CRD} has no conversion webhook clientConfig`);
  }
  // caBundle is []byte in the API, so it travels as base64 in JSON.
  const bundle = anchorsPem.toString('base64');
  // "add" sets the key whether or not it exists (the chart ships no caBundle).
  const caBundleOp = { op: 'add', path: '/spec/conversion/webhook/clientConfig/caBundle', value: bundle };
  if (clientConfig.service === undefined) {
    // A webhook reached by `url`: where it points is the user's business; keep its CA current.
    return clientConfig.caBundle === bundle ? undefined : [caBundleOp];
  }
  if (clientConfig.service.namespace === namespace && clientConfig.caBundle === bundle) return undefined;
  return [
    { op: 'replace', path: '/spec/conversion/webhook/clientConfig/service/namespace', value: namespace },
    caBundleOp,
  ];
}

export interface CaBundleUpkeepOptions {
  readonly api: KubeApi;
  /** The operator's namespace (NAMESPACE). */
  readonly namespace: string;
  readonly anchors: TrustAnchorSource;
  readonly log: Logger;
  /** `operator-webhook`: ready after the first successful check. */
  readonly health: HealthTarget;
  readonly delay?: Delay;
}

export class CaBundleUpkeep {
  readonly #opts: CaBundleUpkeepOptions;

  constructor(opts: CaBundleUpkeepOptions) {
    this.#opts = opts;
  }

  /** One check-and-patch; throws CrdNotPatchableError or the API error. */
  async reconcile(anchorsPem: Buffer, signal?: AbortSignal): Promise<boolean> {
    const { api, namespace, log } = this.#opts;
    let crd: Crd;
    try {
      crd = await api.request<Crd>(CRD_PATH, { signal });
    } catch (err) {
      if (isNotFound(err))
        throw new CrdNotPatchableError(`CRD ${SUBSCRIPTIONS_CRD} not found`, { cause: err });
      throw err;
    }
    const patch = caBundlePatch(crd, namespace, anchorsPem);
    if (patch === undefined) return false;
    await api.request(CRD_PATH, {
      method: 'PATCH',
      body: patch,
      contentType: 'application/json-patch+json',
      signal,
    });
    log.info(
      `Patched the ${SUBSCRIPTIONS_CRD} conversion webhook (service namespace ${namespace}, caBundle)`,
    );
    return true;
  }

  /** Checks on every trust-anchor change until `signal` aborts; rejects when the CRD cannot be patched. */
  async run(signal: AbortSignal): Promise<void> {
    const { anchors, log, health } = this.#opts;
    const delay = this.#opts.delay ?? abortableDelay;
    let latest: Buffer | undefined;
    let wake: () => void = () => undefined;
    const listener = (update: { caCertificate: Buffer } | null): void => {
      if (update === null) return;
      latest = update.caCertificate;
      wake();
    };
    anchors.addCaCertificateListener(listener);
    try {
      let done: Buffer | undefined;
      let backoff = INITIAL_BACKOFF_MS;
      while (!signal.aborted) {
        if (latest === undefined || (done !== undefined && done.equals(latest))) {
          await orAborted(new Promise<void>((resolve) => (wake = resolve)), signal);
          continue;
        }
        const pem = latest;
        try {
          await this.reconcile(pem, signal);
          done = pem;
          backoff = INITIAL_BACKOFF_MS;
          health.ready();
        } catch (err) {
          if (signal.aborted) return;
          // A missing CRD or a refusal (RBAC) does not fix itself: fail like upstream does.
          if (err instanceof CrdNotPatchableError || !isTransient(err)) throw err;
          log.warn({ error: err }, `Failed to patch ${SUBSCRIPTIONS_CRD}; retrying in ${backoff} ms`);
          await delay(backoff, signal);
          backoff = nextBackoff(backoff);
        }
      }
    } finally {
      anchors.removeCaCertificateListener(listener);
    }
  }
}
