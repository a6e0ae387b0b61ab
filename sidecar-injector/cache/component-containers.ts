// Containers that Components ask to have injected next to daprd (`dapr.io/component-container`
// on the Component, used when a pod sets dapr.io/inject-pluggable-components). Upstream lists
// Components in the pod's namespace on every such request; this keeps every namespace's
// Components in memory through one watch so admission never waits on the apiserver.
import type { KubeApi } from '../../kit/kubernetes/client.js';
import { SharedWatches } from '../../kit/kubernetes/shared-watches.js';
import type { Logger } from '../../kit/logger.js';
import { ANNOTATIONS } from '../annotations/table.js';
import type { Container } from '../patcher/k8s-types.js';

/** The part of a Component the injector needs. */
export interface ComponentEntry {
  readonly namespace: string;
  readonly name: string;
  readonly scopes: readonly string[];
  /** The annotation's raw JSON; parsed per request, as it may be invalid. */
  readonly containerJson: string;
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}

export function componentEntry(raw: unknown): ComponentEntry | undefined {
  const obj = raw as {
    metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
    scopes?: unknown;
  } | null;
  const name = obj?.metadata?.name;
  const namespace = obj?.metadata?.namespace;
  if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
  const json = obj?.metadata?.annotations?.[ANNOTATIONS.componentContainer.key];
  return {
    namespace,
    name,
    scopes: stringsOf(obj?.scopes),
    containerJson: typeof json === 'string' ? json : '',
  };
}

function parseContainer(component: ComponentEntry, warn?: (message: string) => void): Container | undefined {
  try {
    const parsed: unknown = JSON.parse(component.containerJson);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Container;
  } catch (err) {
    warn?.(`Could not unmarshal container ${component.name}: ${(err as Error).message}`);
    return undefined;
  }
}

/**
 * Upstream's selection, in the apiserver's list order (by name): skip components without a
 * container or with JSON that does not parse, skip an image already taken, keep those with no
 * scopes or scoped to the app; an unnamed container takes the Component's name.
 */
export function injectableContainers(
  appId: string,
  components: readonly ComponentEntry[],
  warn?: (message: string) => void,
): Container[] {
  const out: Container[] = [];
  const images = new Set<string>();
  for (const component of components) {
    if (component.containerJson === '') continue;
    const container = parseContainer(component, warn);
    if (container === undefined) continue;
    const image = typeof container.image === 'string' ? container.image : '';
    if (images.has(image)) continue;
    if (component.scopes.length > 0 && !component.scopes.includes(appId)) continue;
    images.add(image);
    // Go decodes the JSON into a typed container and encodes it again, which always writes
    // `resources` (a struct, never omitted); the same here, so the patched pods are identical.
    out.push({ ...container, name: container.name || component.name, resources: container.resources ?? {} });
  }
  return out;
}

const byName = (a: ComponentEntry, b: ComponentEntry): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export class ComponentContainers {
  /** namespace → name → entry; only Components that carry the annotation are kept. */
  #byNamespace = new Map<string, Map<string, ComponentEntry>>();

  constructor(
    private readonly api: KubeApi,
    private readonly log?: Logger,
    /** The all-in-one process's shared watches; default: a watch of its own over `api`. */
    private readonly watches: SharedWatches = new SharedWatches({ api }),
  ) {}

  #synced = false;

  /** Whether the Components have been listed at least once (until then nothing is known). */
  get synced(): boolean {
    return this.#synced;
  }

  /** The containers to inject for an app in a namespace. */
  forApp(namespace: string, appId: string): Container[] {
    const entries = [...(this.#byNamespace.get(namespace)?.values() ?? [])].sort(byName);
    return injectableContainers(appId, entries, (m) => this.log?.warn(m));
  }

  #set(entry: ComponentEntry): void {
    let names = this.#byNamespace.get(entry.namespace);
    if (entry.containerJson === '') {
      names?.delete(entry.name);
      return;
    }
    if (names === undefined)
      this.#byNamespace.set(entry.namespace, (names = new Map<string, ComponentEntry>()));
    names.set(entry.name, entry);
  }

  async run(signal: AbortSignal): Promise<void> {
    await this.watches.run<ComponentEntry>(
      {
        path: '/apis/dapr.io/v1alpha1/components',
        transform: componentEntry,
        log: this.log,
        handler: {
          replace: (items) => {
            this.#byNamespace = new Map<string, Map<string, ComponentEntry>>();
            for (const item of items) this.#set(item);
            this.#synced = true;
          },
          upsert: (item) => this.#set(item),
          deleted: (item) => this.#byNamespace.get(item.namespace)?.delete(item.name),
        },
      },
      signal,
    );
  }
}
