// One namespace's membership, table and LOCK → UPDATE → UNLOCK rounds (docs/contracts/placement.md §1.5, §4).
// A single serial owner: `handle(event)` reads and writes the state synchronously and returns the
// commands for the edge; nothing here awaits, sends or reads a clock.
//
// Where Go's behaviour is free to design (§8 "free to design") this loop chooses:
// * a drain of queued work applies deletes and adds together, in one round;
// * an ack for a version other than the current one is ignored (Go ignores only older ones);
// * a later message claiming another namespace closes that stream (InvalidArgument) instead of
//   moving its host into this namespace's table;
// * load_map values carry only name, id and port (§1.9: daprd reads nothing else).
import { formatGoDuration } from '../../kit/go-values.js';
import {
  emptyHost,
  HostOperation,
  type Host,
  type PlacementOrder,
  type PlacementTables,
} from '../proto/placement.js';
import { unreachable, type LoopCommand, type LoopEvent, type StreamId, type TimerName } from './events.js';
import { HostStore, MAX_TABLE_BYTES } from './host-store.js';

export interface NamespaceLoopOptions {
  /** The namespace this loop owns (Host.namespace of every member's first message). */
  readonly namespace: string;
  /** PlacementTables.replication_factor; must be > 0 (`--replicationFactor`, default 100). */
  readonly replicationFactor: number;
  /** Whole-round timeout (`--disseminate-timeout`, default 8 s). */
  readonly disseminateTimeoutMs: number;
  /** Post-round batching window, 0 = off (`--disseminate-coalesce-window`). */
  readonly coalesceWindowMs: number;
}

type Phase = 'idle' | 'lock' | 'update' | 'unlock';

interface Member {
  /** The version of the last lock written to this stream (per-stream send filter). */
  lockSent: number | undefined;
}

const ACK_OF_PHASE = {
  lock: HostOperation.LOCK,
  update: HostOperation.UPDATE,
  unlock: HostOperation.UNLOCK,
} as const;

function sameEntries(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

export class NamespaceLoop {
  readonly #opts: NamespaceLoopOptions;
  /** Streams that take part in rounds, in join order. */
  readonly #members = new Map<StreamId, Member>();
  /** Hosts with at least one actor type, by stream (entities sorted). */
  readonly #store = new HostStore();
  /** Streams connected while a round (or the coalesce window) was running, with their latest report. */
  readonly #pendingAdds = new Map<StreamId, Host>();
  /** Closed streams whose store entries are still to be removed. */
  readonly #pendingDeletes = new Set<StreamId>();
  /** Members that acked the current phase. */
  readonly #acked = new Set<StreamId>();
  /** Streams (members or queued) whose first report had actor types (the actor_runtimes gauge). */
  readonly #startedWithActors = new Set<StreamId>();
  #version = 0;
  #phase: Phase = 'idle';
  #coalesceOpen = false;
  /** A queued stream closed before it joined: the next drain still runs a round. */
  #droppedJoin = false;
  #timerTokens = { round: 0, coalesce: 0 };
  #lastGauges = { runtimes: 0, actorRuntimes: 0 };
  #out: LoopCommand[] = [];

  constructor(opts: NamespaceLoopOptions) {
    if (!(opts.replicationFactor > 0)) throw new RangeError('replication factor must be > 0');
    this.#opts = opts;
  }

  get namespace(): string {
    return this.#opts.namespace;
  }

  /** The version of the current (or last) round. */
  get version(): number {
    return this.#version;
  }

  get phase(): Phase {
    return this.#phase;
  }

  /** No member and nothing queued: the owner may drop this loop. */
  get isEmpty(): boolean {
    return this.#members.size === 0 && this.#pendingAdds.size === 0;
  }

  /** Whether a stream belongs here (as a member or queued). */
  has(stream: StreamId): boolean {
    return this.#members.has(stream) || this.#pendingAdds.has(stream);
  }

  /** The stored hosts sorted by name (for /placement/state). */
  hosts(): Host[] {
    return [...this.#store.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The table an UPDATE of this namespace would carry now. */
  table(): PlacementTables {
    const entries = new Map<string, { loadMap: Map<string, Host> }>();
    for (const host of this.#store.values()) {
      const value: Host = { ...emptyHost(), name: host.name, id: host.id, port: host.port };
      for (const type of host.entities) {
        let t = entries.get(type);
        if (t === undefined) entries.set(type, (t = { loadMap: new Map() }));
        t.loadMap.set(host.name, value);
      }
    }
    return {
      entries,
      version: String(this.#version),
      apiLevel: 0,
      replicationFactor: this.#opts.replicationFactor,
    };
  }

  handle(event: LoopEvent): LoopCommand[] {
    this.#out = [];
    switch (event.kind) {
      case 'connAdd':
        this.#connAdd(event.stream, event.host);
        break;
      case 'reportedHost':
        if (this.#claimsThisNamespace(event.stream, event.host)) this.#reported(event.stream, event.host);
        break;
      case 'ack':
        if (this.#claimsThisNamespace(event.stream, event.host)) this.#ack(event.stream, event.host);
        break;
      case 'streamClosed':
        this.#closed(event.stream);
        break;
      case 'timerFired':
        this.#timerFired(event.timer, event.token);
        break;
      default:
        unreachable(event);
    }
    this.#gauges();
    const out = this.#out;
    this.#out = [];
    return out;
  }

  // ---- events ----

  #connAdd(stream: StreamId, host: Host): void {
    if (this.has(stream)) return;
    if (host.entities.length > 0) this.#startedWithActors.add(stream);
    if (this.#phase !== 'idle' || this.#coalesceOpen) {
      this.#pendingAdds.set(stream, host); // no messages until the round ends (§1.5)
      return;
    }
    const deleted = this.#applyDeletes();
    this.#members.set(stream, { lockSent: undefined });
    this.#report(stream, host, deleted);
  }

  #reported(stream: StreamId, host: Host): void {
    if (this.#pendingAdds.has(stream)) {
      this.#pendingAdds.set(stream, host); // still queued: its latest report is what joins
      return;
    }
    if (!this.#members.has(stream)) return;
    this.#report(stream, host, false);
  }

  /** doReport: a changed store starts (or pre-empts) a round; otherwise a no-actor stream gets a push. */
  #report(stream: StreamId, host: Host, alreadyChanged: boolean): void {
    const bytes = this.#store.tableBytesWith(stream, host);
    if (host.entities.length > 0 && bytes > MAX_TABLE_BYTES) {
      this.#refuse(
        stream,
        `the table of namespace ${this.#opts.namespace} would be ${bytes} bytes with this host's ${host.entities.length} actor types, over the limit of ${MAX_TABLE_BYTES}`,
      );
      if (alreadyChanged && this.#members.size > 0 && this.#phase === 'idle') {
        this.#absorbQueues();
        this.#startRound();
      }
      return;
    }
    const changed = this.#storeSet(stream, host) || alreadyChanged;
    if (changed) {
      if (this.#phase === 'idle') this.#absorbQueues();
      this.#startRound();
    } else if (!this.#store.has(stream)) {
      this.#push([stream]);
    }
  }

  /** Ends a stream whose report cannot be taken, as if it had closed; the others carry on. */
  #refuse(stream: StreamId, message: string): void {
    this.#out.push({ kind: 'close', stream, code: 'ResourceExhausted', message });
    this.#closed(stream);
  }

  #ack(stream: StreamId, host: Host): void {
    if (!this.#members.has(stream) || this.#phase === 'idle') return; // queued streams' acks are ignored
    const op = host.operation;
    if (op === HostOperation.UNKNOWN) {
      // a pre-1.17 client: "acknowledge the current phase"
    } else if (op !== ACK_OF_PHASE[this.#phase] || (host.version ?? 0) !== this.#version) {
      return; // stale (pre-empted round, one-shot push) or out of order
    }
    this.#acked.add(stream);
    this.#advanceIfAllAcked();
  }

  #closed(stream: StreamId): void {
    this.#startedWithActors.delete(stream);
    if (this.#pendingAdds.delete(stream)) {
      // Upstream still runs the round the queued stream was waiting for (its members learn the
      // table again); so do we, instead of leaving them waiting on nothing.
      this.#droppedJoin = true;
      return;
    }
    if (!this.#members.delete(stream)) return;
    this.#acked.delete(stream);
    if (this.#members.size === 0) {
      this.#reset();
      return;
    }
    if (this.#store.has(stream)) {
      this.#pendingDeletes.add(stream);
      if (this.#phase === 'idle' && !this.#coalesceOpen) {
        this.#absorbQueues();
        this.#startRound();
        return;
      }
    }
    this.#advanceIfAllAcked(); // a no-actor stream closing never triggers a round
  }

  #timerFired(timer: TimerName, token: number): void {
    if (token !== this.#timerTokens[timer]) return; // cancelled or re-armed since
    switch (timer) {
      case 'round':
        if (this.#phase !== 'idle') this.#roundTimedOut();
        break;
      case 'coalesce':
        if (this.#coalesceOpen) {
          this.#coalesceOpen = false;
          this.#drain();
        }
        break;
      default:
        unreachable(timer);
    }
  }

  // ---- rounds ----

  #startRound(): void {
    this.#droppedJoin = false;
    this.#closeCoalesceWindow();
    this.#version++;
    this.#phase = 'lock';
    this.#acked.clear();
    this.#arm('round', this.#opts.disseminateTimeoutMs);
    this.#send([...this.#members.keys()], { operation: 'lock', version: this.#version });
  }

  #advanceIfAllAcked(): void {
    if (this.#phase === 'idle' || this.#acked.size < this.#members.size) return;
    this.#acked.clear();
    switch (this.#phase) {
      case 'lock':
        this.#phase = 'update';
        this.#send([...this.#members.keys()], this.#update());
        break;
      case 'update':
        this.#phase = 'unlock';
        this.#send([...this.#members.keys()], { operation: 'unlock', version: this.#version });
        break;
      case 'unlock':
        this.#roundComplete();
        break;
      default:
        unreachable(this.#phase);
    }
  }

  #roundComplete(): void {
    this.#phase = 'idle';
    this.#cancel('round');
    if (this.#opts.coalesceWindowMs > 0) {
      this.#coalesceOpen = true;
      this.#arm('coalesce', this.#opts.coalesceWindowMs);
    } else {
      this.#drain();
    }
  }

  /** The round's time is up: close every stream that has not acked the current phase, go again. */
  #roundTimedOut(): void {
    const message = `dissemination timeout after ${formatGoDuration(this.#opts.disseminateTimeoutMs)} for version ${this.#version}`;
    for (const stream of [...this.#members.keys()]) {
      if (this.#acked.has(stream)) continue;
      this.#out.push({ kind: 'close', stream, code: 'DeadlineExceeded', message });
      this.#members.delete(stream);
      this.#store.delete(stream);
      this.#startedWithActors.delete(stream);
    }
    this.#phase = 'idle';
    this.#acked.clear();
    this.#cancel('round');
    if (this.#members.size === 0 && this.#pendingAdds.size === 0) {
      this.#reset();
      return;
    }
    // The streams that queued behind the timed-out round join the next one together (one at a
    // time, each would wait for the others' acks that never come while they are queued).
    this.#absorbQueues();
    this.#startRound(); // even if nothing changed
  }

  /** After a round (or the coalesce window): apply queued deletes and adds in one go. */
  #drain(): void {
    const added = [...this.#pendingAdds.keys()];
    const droppedJoin = this.#droppedJoin;
    this.#droppedJoin = false;
    const changed = this.#absorbQueues();
    if (changed || (droppedJoin && added.length === 0 && this.#members.size > 0)) this.#startRound();
    else if (added.length > 0) this.#push(added);
  }

  /** Applies queued deletes and adds; true if the store changed. */
  #absorbQueues(): boolean {
    this.#closeCoalesceWindow();
    let changed = this.#applyDeletes();
    for (const [stream, host] of this.#pendingAdds) {
      this.#members.set(stream, { lockSent: undefined });
      if (this.#storeSet(stream, host)) changed = true;
    }
    this.#pendingAdds.clear();
    return changed;
  }

  #applyDeletes(): boolean {
    let changed = false;
    for (const stream of this.#pendingDeletes) if (this.#store.delete(stream)) changed = true;
    this.#pendingDeletes.clear();
    return changed;
  }

  /** The last member left: drop everything; a queued stream starts the namespace again at 0. */
  #reset(): void {
    this.#droppedJoin = false;
    this.#cancel('round');
    this.#closeCoalesceWindow();
    this.#store.clear();
    this.#pendingDeletes.clear();
    this.#acked.clear();
    this.#phase = 'idle';
    this.#version = 0;
    if (this.#pendingAdds.size === 0) {
      this.#out.push({ kind: 'namespaceEmpty', namespace: this.#opts.namespace });
      return;
    }
    const queued = [...this.#pendingAdds];
    this.#pendingAdds.clear();
    for (const [stream, host] of queued) this.#connAdd(stream, host);
  }

  /** Store.Set: true when a new entry with actors appears or an entry's types/id/namespace change. */
  #storeSet(stream: StreamId, host: Host): boolean {
    const entities = [...host.entities].sort();
    const old = this.#store.get(stream);
    if (entities.length === 0) return this.#store.delete(stream);
    this.#store.set(stream, { ...host, entities });
    return (
      old === undefined ||
      old.id !== host.id ||
      old.namespace !== host.namespace ||
      !sameEntries(old.entities, entities)
    );
  }

  /** A one-shot lock/update/unlock of the current version, without waiting for acks. */
  #push(streams: StreamId[]): void {
    const version = this.#version;
    this.#send(streams, { operation: 'lock', version });
    this.#send(streams, this.#update());
    this.#send(streams, { operation: 'unlock', version });
  }

  #update(): PlacementOrder {
    return { operation: 'update', version: this.#version, tables: this.table() };
  }

  /** Writes an order through the per-stream filter: lock(v) only if v ≥ the last lock, then update/unlock(v) only after lock(v). */
  #send(streams: StreamId[], order: PlacementOrder): void {
    const to: StreamId[] = [];
    for (const stream of streams) {
      const m = this.#members.get(stream);
      if (m === undefined) continue;
      if (order.operation === 'lock') {
        if (m.lockSent !== undefined && order.version < m.lockSent) continue;
        m.lockSent = order.version;
      } else if (m.lockSent !== order.version) continue;
      to.push(stream);
    }
    if (to.length > 0) this.#out.push({ kind: 'send', streams: to, order });
  }

  #claimsThisNamespace(stream: StreamId, host: Host): boolean {
    if (host.namespace === this.#opts.namespace) return true;
    if (!this.has(stream)) return false;
    this.#out.push({
      kind: 'close',
      stream,
      code: 'InvalidArgument',
      message: `stream of namespace ${this.#opts.namespace} sent a message for namespace ${host.namespace}`,
    });
    this.#closed(stream);
    return false;
  }

  // ---- timers and gauges ----

  #arm(timer: TimerName, afterMs: number): void {
    const token = ++this.#timerTokens[timer];
    this.#out.push({ kind: 'armTimer', namespace: this.#opts.namespace, timer, afterMs, token });
  }

  #cancel(timer: TimerName): void {
    this.#timerTokens[timer]++;
    this.#out.push({ kind: 'cancelTimer', namespace: this.#opts.namespace, timer });
  }

  #closeCoalesceWindow(): void {
    if (!this.#coalesceOpen) return;
    this.#coalesceOpen = false;
    this.#cancel('coalesce');
  }

  #gauges(): void {
    const actorRuntimes = this.#startedWithActors.size;
    const runtimes = this.#members.size + this.#pendingAdds.size;
    if (runtimes === this.#lastGauges.runtimes && actorRuntimes === this.#lastGauges.actorRuntimes) return;
    this.#lastGauges = { runtimes, actorRuntimes };
    this.#out.push({ kind: 'membership', namespace: this.#opts.namespace, runtimes, actorRuntimes });
  }
}
