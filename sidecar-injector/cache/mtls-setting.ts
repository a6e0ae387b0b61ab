// Whether daprd gets --enable-mtls (docs/contracts/injector-and-chart.md §3.2 item 27): the `daprsystem`
// Configuration in the control-plane namespace, read again every few seconds. Upstream reads it
// on every admission request; a cache gives the same answer without an apiserver call on the hot
// path (docs/contracts/injector-and-chart.md §7 leaves caching free). Missing, unreadable or not yet read means enabled, as
// upstream treats a failed read.
import { isNotFound, type KubeApi } from '../../kit/kubernetes/client.js';
import { abortableDelay } from '../../kit/kubernetes/list-watch.js';
import type { Logger } from '../../kit/logger.js';
import { configurationPath, DAPR_SYSTEM_CONFIGURATION } from '../../kit/dapr/resources.js';

interface MtlsEntry {
  readonly name: string;
  readonly enabled: boolean;
}

/** spec.mtls.enabled; absent or not a boolean counts as enabled (Go's *bool left nil). */
export function mtlsEnabledIn(raw: unknown): MtlsEntry | undefined {
  const obj = raw as { metadata?: { name?: unknown }; spec?: { mtls?: { enabled?: unknown } } } | null;
  const name = obj?.metadata?.name;
  if (typeof name !== 'string') return undefined;
  return { name, enabled: obj?.spec?.mtls?.enabled !== false };
}

/** How often the Configuration is read again (upstream reads it on every admission request). */
export const MTLS_REFRESH_MS = 10_000;

export class MtlsSetting {
  #enabled = true;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly log?: Logger,
    private readonly refreshMs = MTLS_REFRESH_MS,
  ) {}

  /** The answer for the next admission request. */
  get enabled(): boolean {
    return this.#enabled;
  }

  #apply(entry: MtlsEntry | undefined): void {
    const enabled = entry?.enabled ?? true;
    if (enabled !== this.#enabled)
      this.log?.info(`mTLS for injected sidecars is now ${enabled ? 'on' : 'off'}`);
    this.#enabled = enabled;
  }

  /** One read; a missing or unreadable Configuration means enabled, as upstream. */
  async refresh(signal?: AbortSignal): Promise<void> {
    const path = configurationPath(this.namespace, DAPR_SYSTEM_CONFIGURATION);
    try {
      this.#apply(mtlsEnabledIn(await this.api.request<unknown>(path, { signal })));
    } catch (err) {
      if (signal?.aborted) return;
      if (!isNotFound(err))
        this.log?.warn({ error: err }, `Failed to read the ${DAPR_SYSTEM_CONFIGURATION} Configuration`);
      this.#apply(undefined);
    }
  }

  /**
   * A GET of the one object, repeated: the chart grants only `get` on Configurations (as
   * upstream's), and a namespaced list is what some API servers in front of the injector do
   * not serve.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.refresh(signal);
      await abortableDelay(this.refreshMs, signal);
    }
  }
}
