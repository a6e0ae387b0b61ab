// Runs the pure namespace loops against real streams and real timers: it is the only caller of
// `Namespaces.handle`, carries out the commands it returns (write an order once-encoded to many
// streams, end a stream with a status, arm or cancel a timer, set the gauges) and feeds timer
// firings back in as events. Everything happens synchronously on the event loop turn that
// delivered the event, so the loops keep a single owner.
import type { Logger } from '../../kit/logger.js';
import type { LoopCommand, LoopEvent, StreamId, TimerName } from '../loops/events.js';
import { Namespaces, type NamespacesOptions, type NamespaceState } from '../loops/namespaces.js';
import type { PlacementMetrics } from '../metrics.js';
import { encodeOrder } from '../proto/placement.js';
import { loopStatus, type StreamStatus } from './status.js';

/** What the dissemination needs of one open stream. */
export interface StreamSink {
  /** Writes an already encoded PlacementOrder. */
  write(order: Buffer): void;
  /** Ends the stream with a status (non-OK). */
  close(status: StreamStatus): void;
}

/** setTimeout/clearTimeout, injectable for tests. */
export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const REAL_TIMERS: Timers = {
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface DisseminationOptions extends NamespacesOptions {
  readonly metrics?: PlacementMetrics;
  readonly log?: Logger;
  readonly timers?: Timers;
}

export class Dissemination {
  readonly #opts: DisseminationOptions;
  readonly #timers: Timers;
  #loops: Namespaces;
  readonly #sinks = new Map<StreamId, StreamSink>();
  readonly #armed = new Map<string, unknown>();
  #nextStream = 1;
  readonly #queue: LoopEvent[] = [];
  #dispatching = false;

  constructor(opts: DisseminationOptions) {
    this.#opts = opts;
    this.#timers = opts.timers ?? REAL_TIMERS;
    this.#loops = new Namespaces(opts);
  }

  /** Registers a stream's sink; its events then use the returned id. */
  open(sink: StreamSink): StreamId {
    const id = this.#nextStream++;
    this.#sinks.set(id, sink);
    return id;
  }

  /**
   * Feeds one event to the loops and carries out what they ask. An event raised while commands
   * run (a sink that reports its close at once) waits its turn, so commands keep their order.
   */
  dispatch(event: LoopEvent): void {
    this.#queue.push(event);
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        if (next.kind === 'streamClosed') this.#sinks.delete(next.stream);
        for (const command of this.#loops.handle(next)) this.#execute(command);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /** Ends every stream with one status and forgets all namespaces (fencing, shutdown). */
  closeAll(status: StreamStatus): void {
    for (const handle of this.#armed.values()) this.#timers.clear(handle);
    this.#armed.clear();
    const sinks = [...this.#sinks.values()];
    this.#sinks.clear();
    for (const ns of this.#loops.namespaces) {
      this.#opts.metrics?.runtimesTotal(ns, 0);
      this.#opts.metrics?.actorRuntimesTotal(ns, 0);
    }
    this.#loops = new Namespaces(this.#opts);
    for (const sink of sinks) sink.close(status);
  }

  get openStreams(): number {
    return this.#sinks.size;
  }

  state(): Map<string, NamespaceState> {
    return this.#loops.state();
  }

  #execute(command: LoopCommand): void {
    switch (command.kind) {
      case 'send': {
        const bytes = encodeOrder(command.order);
        for (const stream of command.streams) this.#sinks.get(stream)?.write(bytes);
        break;
      }
      case 'close':
        this.#close(command.stream, loopStatus(command.code, command.message));
        break;
      case 'armTimer':
        this.#arm(command.namespace, command.timer, command.afterMs, command.token);
        break;
      case 'cancelTimer':
        this.#clear(command.namespace, command.timer);
        break;
      case 'membership':
        this.#gauges(command.namespace, command.runtimes, command.actorRuntimes);
        break;
      case 'namespaceEmpty':
        this.#opts.log?.debug({ namespace: command.namespace }, 'Namespace has no more streams');
        break;
      default: {
        const never: never = command;
        throw new Error(`unhandled loop command ${JSON.stringify(never)}`);
      }
    }
  }

  #close(stream: StreamId, status: StreamStatus): void {
    this.#opts.log?.info({ stream }, `Closing stream: ${status.details}`);
    this.#sinks.get(stream)?.close(status);
  }

  #gauges(namespace: string, runtimes: number, actorRuntimes: number): void {
    this.#opts.metrics?.runtimesTotal(namespace, runtimes);
    this.#opts.metrics?.actorRuntimesTotal(namespace, actorRuntimes);
  }

  #arm(namespace: string, timer: TimerName, afterMs: number, token: number): void {
    this.#clear(namespace, timer);
    const key = `${namespace}\u0000${timer}`;
    const fire = (): void => {
      this.#armed.delete(key);
      this.dispatch({ kind: 'timerFired', namespace, timer, token });
    };
    this.#armed.set(key, this.#timers.set(fire, afterMs));
  }

  #clear(namespace: string, timer: TimerName): void {
    const key = `${namespace}\u0000${timer}`;
    const handle = this.#armed.get(key);
    if (handle === undefined) return;
    this.#timers.clear(handle);
    this.#armed.delete(key);
  }
}
