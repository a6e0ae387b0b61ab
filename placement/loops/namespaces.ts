// All namespaces of the leader: routes each event to the loop of the stream's namespace (fixed
// by the stream's first message, §3 "Separation"), creates loops on demand and drops a loop
// when its last stream leaves. Pure like the loops it owns: events in, commands out.
import type { Host, PlacementTables } from '../proto/placement.js';
import { unreachable, type LoopCommand, type LoopEvent, type StreamId } from './events.js';
import { NamespaceLoop, type NamespaceLoopOptions } from './namespace.js';

export type NamespacesOptions = Omit<NamespaceLoopOptions, 'namespace'>;

/** What /placement/state shows of one namespace. */
export interface NamespaceState {
  readonly hosts: Host[];
  readonly version: number;
}

export class Namespaces {
  readonly #opts: NamespacesOptions;
  readonly #loops = new Map<string, NamespaceLoop>();
  readonly #namespaceOf = new Map<StreamId, string>();

  constructor(opts: NamespacesOptions) {
    this.#opts = opts;
  }

  handle(event: LoopEvent): LoopCommand[] {
    switch (event.kind) {
      case 'connAdd': {
        if (this.#namespaceOf.has(event.stream)) return [];
        const ns = event.host.namespace;
        let loop = this.#loops.get(ns);
        if (loop === undefined)
          this.#loops.set(ns, (loop = new NamespaceLoop({ ...this.#opts, namespace: ns })));
        this.#namespaceOf.set(event.stream, ns);
        return this.#after(event, loop.handle(event));
      }
      case 'reportedHost':
      case 'ack':
      case 'streamClosed': {
        const loop = this.#loopOf(event.stream);
        return loop === undefined ? [] : this.#after(event, loop.handle(event));
      }
      case 'timerFired': {
        const loop = this.#loops.get(event.namespace);
        return loop === undefined ? [] : this.#after(event, loop.handle(event));
      }
      default:
        return unreachable(event);
    }
  }

  /** Namespace names with at least one stream. */
  get namespaces(): string[] {
    return [...this.#loops.keys()];
  }

  /** The table an UPDATE of this namespace would carry now, if the namespace exists. */
  table(namespace: string): PlacementTables | undefined {
    return this.#loops.get(namespace)?.table();
  }

  state(): Map<string, NamespaceState> {
    const out = new Map<string, NamespaceState>();
    for (const [ns, loop] of this.#loops) out.set(ns, { hosts: loop.hosts(), version: loop.version });
    return out;
  }

  #loopOf(stream: StreamId): NamespaceLoop | undefined {
    const ns = this.#namespaceOf.get(stream);
    return ns === undefined ? undefined : this.#loops.get(ns);
  }

  /** Forgets the streams the event or its commands removed, and loops that emptied. */
  #after(event: LoopEvent, commands: LoopCommand[]): LoopCommand[] {
    const touched: StreamId[] = 'stream' in event ? [event.stream] : [];
    for (const c of commands) {
      if (c.kind === 'namespaceEmpty') this.#loops.delete(c.namespace);
      else if (c.kind === 'close') touched.push(c.stream);
    }
    for (const stream of touched) {
      const loop = this.#loopOf(stream);
      if (loop === undefined || !loop.has(stream)) this.#namespaceOf.delete(stream);
    }
    return commands;
  }
}
