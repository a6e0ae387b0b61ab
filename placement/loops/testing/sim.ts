// A deterministic world for the dissemination loops: simulated daprds that answer orders the way
// daprd 1.18's placement client does (docs/contracts/placement.md §1.6), a network that delivers messages in
// order when asked, and a fake clock for the loops' timers. Tests (and later a benchmark) drive
// it step by step; nothing sleeps.
import {
  emptyHost,
  HostOperation,
  type Host,
  type PlacementOrder,
  type PlacementTables,
} from '../../proto/placement.js';
import type { LoopCommand, LoopEvent, StreamCodeName, StreamId, TimerName } from '../events.js';
import { Namespaces, type NamespacesOptions } from '../namespaces.js';

export interface SimDaprdOptions {
  readonly name: string;
  readonly id: string;
  readonly namespace?: string;
  readonly entities?: readonly string[];
  /** When false, the daprd receives orders but never acks (a stuck daprd). */
  readonly acks?: boolean;
}

/** One daprd's view of its stream, with daprd's own checks on the order sequence. */
export class SimDaprd {
  readonly stream: StreamId;
  readonly opts: SimDaprdOptions;
  readonly received: PlacementOrder[] = [];
  /** Orders that broke daprd's expectations (update without lock(v), lower versions, …). */
  readonly violations: string[] = [];
  acks: boolean;
  /** The daprd ended its stream itself. */
  disconnected = false;
  closed: { code: StreamCodeName; message: string } | undefined;
  /** The table of the last UPDATE, and whether daprd has unlocked since. */
  table: PlacementTables | undefined;
  unlockedVersion: number | undefined;
  #currentVersion = 0;
  #lastOp: string | undefined;

  constructor(stream: StreamId, opts: SimDaprdOptions) {
    this.stream = stream;
    this.opts = opts;
    this.acks = opts.acks ?? true;
  }

  get namespace(): string {
    return this.opts.namespace ?? 'default';
  }

  report(entities: readonly string[] = this.opts.entities ?? []): Host {
    return {
      ...emptyHost(),
      name: this.opts.name,
      id: this.opts.id,
      apiLevel: 20,
      namespace: this.namespace,
      entities,
      operation: HostOperation.REPORT,
    };
  }

  ackOf(operation: number, version: number): Host {
    return { ...emptyHost(), id: this.opts.id, namespace: this.namespace, operation, version };
  }

  /** daprd's handling of one order; returns the ack it would send, if any. */
  receive(order: PlacementOrder): Host | undefined {
    this.received.push(order);
    const v = order.version;
    let ack: Host | undefined;
    switch (order.operation) {
      case 'lock':
        if (v < this.#currentVersion)
          this.violations.push(`lock(${v}) after version ${this.#currentVersion}`);
        this.#currentVersion = v;
        ack = this.ackOf(HostOperation.LOCK, v);
        break;
      case 'update':
        if (this.#lastOp !== 'lock' || v !== this.#currentVersion)
          this.violations.push(`update(${v}) without a preceding lock(${v})`);
        if (this.#currentVersion > v) return this.#fail(`version mismatch ${this.#currentVersion} > ${v}`);
        this.table = order.tables;
        ack = this.ackOf(HostOperation.UPDATE, this.#currentVersion);
        break;
      case 'unlock':
        if (this.#lastOp !== 'update' || v < this.#currentVersion) {
          this.violations.push(`unlock(${v}) not after update`);
          break;
        }
        this.#currentVersion = v;
        this.unlockedVersion = v;
        ack = this.ackOf(HostOperation.UNLOCK, v);
        break;
      default:
        return this.#fail(`unknown operation ${order.operation}`);
    }
    this.#lastOp = order.operation;
    return this.acks ? ack : undefined;
  }

  #fail(reason: string): undefined {
    this.violations.push(reason);
    return undefined;
  }
}

export class Sim {
  readonly loops: Namespaces;
  readonly daprds = new Map<StreamId, SimDaprd>();
  /** Every command the loops produced, in order. */
  readonly log: LoopCommand[] = [];
  readonly gauges = new Map<string, { runtimes: number; actorRuntimes: number }>();
  readonly emptied: string[] = [];
  now = 0;
  /** Messages in flight (daprd → placement), delivered by `deliver()`. */
  readonly #inbox: LoopEvent[] = [];
  readonly #timers = new Map<string, { namespace: string; timer: TimerName; at: number; token: number }>();
  #nextStream = 1;

  constructor(opts: Partial<NamespacesOptions> = {}) {
    this.loops = new Namespaces({
      replicationFactor: opts.replicationFactor ?? 100,
      disseminateTimeoutMs: opts.disseminateTimeoutMs ?? 8000,
      coalesceWindowMs: opts.coalesceWindowMs ?? 0,
    });
  }

  /** Opens a stream and sends the first REPORT (queued until `deliver`). */
  connect(opts: SimDaprdOptions): SimDaprd {
    const d = new SimDaprd(this.#nextStream++, opts);
    this.daprds.set(d.stream, d);
    this.#inbox.push({ kind: 'connAdd', stream: d.stream, host: d.report() });
    return d;
  }

  /** A later REPORT on an open stream. */
  report(d: SimDaprd, entities: readonly string[]): void {
    this.#inbox.push({ kind: 'reportedHost', stream: d.stream, host: d.report(entities) });
  }

  send(d: SimDaprd, host: Host): void {
    this.#inbox.push({
      kind: host.operation === HostOperation.REPORT ? 'reportedHost' : 'ack',
      stream: d.stream,
      host,
    });
  }

  disconnect(d: SimDaprd): void {
    d.disconnected = true;
    this.#inbox.push({ kind: 'streamClosed', stream: d.stream });
  }

  /** Runs one event straight into the loops (bypassing the inbox). */
  handle(event: LoopEvent): LoopCommand[] {
    const commands = this.loops.handle(event);
    for (const c of commands) this.#apply(c);
    return commands;
  }

  /** Delivers exactly one queued message; false if none was queued. */
  step(): boolean {
    const event = this.#inbox.shift();
    if (event === undefined) return false;
    this.handle(event);
    return true;
  }

  /** Delivers queued messages (and the acks they provoke) until the network is quiet. */
  deliver(limit = 1_000_000): void {
    for (let n = 0; this.#inbox.length > 0; n++) {
      if (n >= limit) throw new Error('the loops did not settle');
      this.handle(this.#inbox.shift()!);
    }
  }

  /** Moves the clock forward, firing due timers in time order, delivering after each. */
  advance(ms: number): void {
    const until = this.now + ms;
    this.deliver();
    for (;;) {
      const due = [...this.#timers.entries()]
        .filter(([, t]) => t.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      const [key, t] = due;
      this.#timers.delete(key);
      this.now = t.at;
      this.handle({ kind: 'timerFired', namespace: t.namespace, timer: t.timer, token: t.token });
      this.deliver();
    }
    this.now = until;
  }

  armed(namespace: string, timer: TimerName): number | undefined {
    return this.#timers.get(`${namespace}/${timer}`)?.at;
  }

  /** The orders each daprd received as "op:version" strings. */
  ops(d: SimDaprd): string[] {
    return d.received.map((o) => `${o.operation}:${o.version}`);
  }

  #deliverOrder(stream: StreamId, order: PlacementOrder): void {
    const d = this.daprds.get(stream);
    if (d === undefined || d.closed !== undefined) throw new Error(`send to a closed stream ${stream}`);
    if (d.disconnected) return; // the write fails; the close is already on its way
    const ack = d.receive(order);
    if (ack !== undefined) this.#inbox.push({ kind: 'ack', stream, host: ack });
  }

  #apply(c: LoopCommand): void {
    this.log.push(c);
    switch (c.kind) {
      case 'send':
        for (const stream of c.streams) this.#deliverOrder(stream, c.order);
        break;
      case 'close': {
        const d = this.daprds.get(c.stream);
        if (d !== undefined) d.closed = { code: c.code, message: c.message };
        this.#inbox.push({ kind: 'streamClosed', stream: c.stream });
        break;
      }
      case 'armTimer':
        this.#timers.set(`${c.namespace}/${c.timer}`, {
          namespace: c.namespace,
          timer: c.timer,
          at: this.now + c.afterMs,
          token: c.token,
        });
        break;
      case 'cancelTimer':
        this.#timers.delete(`${c.namespace}/${c.timer}`);
        break;
      case 'membership':
        this.gauges.set(c.namespace, { runtimes: c.runtimes, actorRuntimes: c.actorRuntimes });
        break;
      case 'namespaceEmpty':
        this.emptied.push(c.namespace);
        break;
    }
  }
}
