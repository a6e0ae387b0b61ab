// Whether daprd gets --enable-mtls (injector-and-chart.md §3.2 item 27): the `daprsystem`
// Configuration in the control-plane namespace, kept current by a watch. Upstream reads it on
// every admission request; a cache gives the same answer without an apiserver call on the hot
// path (spec §7 leaves caching free). Missing, unreadable or not yet listed means enabled, as
// upstream treats a failed read.
import type { KubeApi } from '../../kit/kubernetes/client.js';
import { ListWatch } from '../../kit/kubernetes/list-watch.js';
import type { Logger } from '../../kit/logger.js';

export const SYSTEM_CONFIGURATION = 'daprsystem';

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

export class MtlsSetting {
  #enabled = true;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly log?: Logger,
  ) {}

  /** The answer for the next admission request. */
  get enabled(): boolean {
    return this.#enabled;
  }

  async run(signal: AbortSignal): Promise<void> {
    const apply = (entry: MtlsEntry | undefined): void => {
      const enabled = entry?.enabled ?? true;
      if (enabled !== this.#enabled)
        this.log?.info(`mTLS for injected sidecars is now ${enabled ? 'on' : 'off'}`);
      this.#enabled = enabled;
    };
    await new ListWatch<MtlsEntry>({
      api: this.api,
      path: `/apis/dapr.io/v1alpha1/namespaces/${this.namespace}/configurations`,
      selectors: { fieldSelector: `metadata.name=${SYSTEM_CONFIGURATION}` },
      transform: mtlsEnabledIn,
      log: this.log,
      handler: {
        replace: (items) => apply(items[0]),
        upsert: (item) => apply(item),
        deleted: () => apply(undefined),
      },
    }).run(signal);
  }
}
