// Kubernetes Events (core/v1) written from a service's event loop without ever making the caller
// wait: record() only updates an in-memory table and, when an API write is due, puts the key on a
// small queue that one background sender drains. Everything is bounded, as a retry loop (a
// ReplicaSet controller re-creating a pod the injector declines, again and again) must not turn
// into a flood of writes: identical events (same object and reason) are aggregated into one Event
// whose `count` and `lastTimestamp` are patched at most once per `rewriteAfterMs` (so the count the
// apiserver shows lags by at most that long's occurrences); the table of
// known events, the queue and the write rate all have caps; overflow is dropped and counted.
import { hostname } from 'node:os';
import type { Logger } from '../logger.js';
import { isNotFound, type KubeApi } from './client.js';

/** The object an Event is about (core/v1 ObjectReference). */
export interface InvolvedObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Lets `kubectl describe` find the Event; may be missing for an object we only know by name. */
  readonly uid?: string;
}

export interface EventRecord {
  readonly object: InvolvedObject;
  readonly type: 'Normal' | 'Warning';
  /** CamelCase, machine-readable (what `kubectl get events` shows in REASON). */
  readonly reason: string;
  readonly message: string;
}

export interface EventRecorderOptions {
  readonly api: KubeApi;
  /** source.component and reportingComponent, e.g. `dapr-sidecar-injector`. */
  readonly component: string;
  readonly log?: Logger;
  /** Events waiting to be written; more are dropped. Default 256. */
  readonly maxQueue?: number;
  /** Distinct (object, reason) pairs remembered for aggregation; the stalest is forgotten. Default 4096, above maxQueue. */
  readonly maxTracked?: number;
  /** An aggregated Event is rewritten (count, lastTimestamp) at most this often. Default 60 s. */
  readonly rewriteAfterMs?: number;
  /**
   * With `adoptExisting`: before creating an Event for a pair it does not know (e.g. after a
   * restart), look for one this component wrote within this window and continue it instead (needs
   * `list` on events). Default 1 h (the apiserver's Event TTL). An Event that expired meanwhile
   * (the patch finds none) is written anew.
   */
  readonly windowMs?: number;
  readonly adoptExisting?: boolean;
  /** Writes allowed in a burst, then `ratePerSecond`. Defaults 25 and 1. */
  readonly burst?: number;
  readonly ratePerSecond?: number;
  readonly now?: () => number;
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number;
}

interface Tracked {
  record: EventRecord;
  /** The Event's name once written. */
  name?: string;
  /** Occurrences counted, including those not written yet. */
  count: number;
  firstAt: number;
  lastAt: number;
  /** When the Event was last written (0: never). */
  writtenAt: number;
  /** The count the apiserver holds. */
  writtenCount: number;
  queued: boolean;
}

export interface EventRecorderStats {
  readonly recorded: number;
  readonly writes: number;
  readonly dropped: number;
  readonly failed: number;
}

interface EventObject {
  readonly metadata?: { readonly name?: string };
  readonly count?: number;
  readonly lastTimestamp?: string;
  readonly source?: { readonly component?: string };
}

/** events.k8s.io's limit on a note; kept for core/v1 messages too, so no message is refused. */
export const MAX_MESSAGE_CHARS = 1024;

export function eventKey(object: InvolvedObject, reason: string): string {
  return `${object.namespace}/${object.kind}/${object.name}/${object.uid ?? ''}/${reason}`;
}

/** Event names follow kubectl's `<object>.<hex time>`; the suffix keeps them unique per process. */
function eventName(object: InvolvedObject, now: number, seq: number): string {
  const suffix = `${now.toString(16)}${seq.toString(16).padStart(4, '0')}`;
  return `${object.name.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}

export class EventRecorder {
  readonly #o: Required<Omit<EventRecorderOptions, 'log'>> & { log?: Logger };
  readonly #tracked = new Map<string, Tracked>();
  readonly #queue: string[] = [];
  readonly #host = hostname();
  #tokens: number;
  #refilledAt: number;
  #seq = 0;
  #sending = false;
  #closed = false;
  #idle: (() => void)[] = [];
  #stats = { recorded: 0, writes: 0, dropped: 0, failed: 0 };

  constructor(options: EventRecorderOptions) {
    this.#o = {
      maxQueue: 256,
      maxTracked: 4096,
      rewriteAfterMs: 60_000,
      windowMs: 3_600_000,
      adoptExisting: false,
      burst: 25,
      ratePerSecond: 1,
      now: Date.now,
      timeoutMs: 10_000,
      ...options,
    };
    this.#tokens = this.#o.burst;
    this.#refilledAt = this.#o.now();
  }

  get stats(): EventRecorderStats {
    return { ...this.#stats };
  }

  /** How many (object, reason) pairs are remembered. */
  get trackedCount(): number {
    return this.#tracked.size;
  }

  /** Records one occurrence; never waits and never throws. */
  record(record: EventRecord): void {
    if (this.#closed) return;
    if (record.message.length > MAX_MESSAGE_CHARS)
      record = { ...record, message: `${record.message.slice(0, MAX_MESSAGE_CHARS - 1)}…` };
    this.#stats.recorded++;
    const now = this.#o.now();
    const key = eventKey(record.object, record.reason);
    let t = this.#tracked.get(key);
    if (t === undefined) {
      t = { record, count: 0, firstAt: now, lastAt: now, writtenAt: 0, writtenCount: 0, queued: false };
      this.#remember(key, t);
    } else {
      // Most recently used last, so eviction takes the stalest pair.
      this.#tracked.delete(key);
      this.#tracked.set(key, t);
    }
    t.record = record;
    t.count++;
    t.lastAt = now;
    if (t.queued) return;
    if (t.writtenAt > 0 && now - t.writtenAt < this.#o.rewriteAfterMs) return;
    this.#enqueue(key, t);
  }

  /** Resolves once nothing is queued or being sent (tests, shutdown). */
  whenIdle(): Promise<void> {
    if (!this.#sending && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops sending; what is queued is dropped. */
  close(): void {
    this.#closed = true;
    this.#queue.length = 0;
  }

  #remember(key: string, t: Tracked): void {
    if (this.#tracked.size >= this.#o.maxTracked) {
      // The stalest pair not waiting in the queue (the queue is far shorter than the table).
      for (const [k, v] of this.#tracked) {
        if (v.queued) continue;
        this.#tracked.delete(k);
        break;
      }
    }
    this.#tracked.set(key, t);
  }

  #enqueue(key: string, t: Tracked): void {
    if (this.#queue.length >= this.#o.maxQueue) {
      this.#stats.dropped++;
      if (this.#stats.dropped === 1 || this.#stats.dropped % 1000 === 0)
        this.#o.log?.warn(`Event queue full: ${this.#stats.dropped} event write(s) dropped so far`);
      return;
    }
    t.queued = true;
    this.#queue.push(key);
    if (!this.#sending) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        await this.#takeToken();
        const key = this.#queue.shift();
        const t = key === undefined ? undefined : this.#tracked.get(key);
        if (t === undefined) continue;
        t.queued = false;
        try {
          await this.#write(t);
          this.#stats.writes++;
        } catch (err) {
          this.#stats.failed++;
          this.#o.log?.warn(
            `Could not record the ${t.record.reason} event on ${t.record.object.kind} ` +
              `${t.record.object.namespace}/${t.record.object.name}: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
    } finally {
      this.#sending = false;
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** Waits for a write token (a token bucket: `burst`, refilled at `ratePerSecond`). */
  async #takeToken(): Promise<void> {
    for (;;) {
      const now = this.#o.now();
      const refill = ((now - this.#refilledAt) / 1000) * this.#o.ratePerSecond;
      this.#tokens = Math.min(this.#o.burst, this.#tokens + refill);
      this.#refilledAt = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      const waitMs = Math.ceil(((1 - this.#tokens) / this.#o.ratePerSecond) * 1000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(waitMs, 10)).unref());
      if (this.#closed) return;
    }
  }

  async #write(t: Tracked): Promise<void> {
    const now = this.#o.now();
    if (t.name === undefined && this.#o.adoptExisting) await this.#adopt(t, now);
    if (t.name !== undefined) {
      if (t.writtenAt > 0 && now - t.writtenAt < this.#o.rewriteAfterMs) return; // adopted, recent
      try {
        await this.#patch(t, now);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The Event expired meanwhile: write a new one with what is counted since.
        t.name = undefined;
        t.count -= t.writtenCount;
        t.writtenCount = 0;
      }
    }
    await this.#create(t, now);
  }

  async #create(t: Tracked, now: number): Promise<void> {
    const { object, type, reason, message } = t.record;
    const name = eventName(object, now, this.#seq++ & 0xffff);
    const count = t.count;
    const body = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: object.namespace },
      involvedObject: { ...object },
      type,
      reason,
      message,
      count,
      firstTimestamp: new Date(t.firstAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      lastTimestamp: new Date(t.lastAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      source: { component: this.#o.component, host: this.#host },
      reportingComponent: this.#o.component,
      reportingInstance: this.#host,
    };
    await this.#o.api.request(`/api/v1/namespaces/${object.namespace}/events`, {
      method: 'POST',
      body,
      timeoutMs: this.#o.timeoutMs,
    });
    t.name = name;
    t.writtenAt = now;
    t.writtenCount = count;
  }

  async #patch(t: Tracked, now: number): Promise<void> {
    const count = t.count;
    await this.#o.api.request(`/api/v1/namespaces/${t.record.object.namespace}/events/${t.name}`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: {
        count,
        message: t.record.message,
        lastTimestamp: new Date(t.lastAt).toISOString().replace(/\.\d+Z$/, 'Z'),
      },
      timeoutMs: this.#o.timeoutMs,
    });
    t.writtenAt = now;
    t.writtenCount = count;
  }

  /** Continues an Event this component wrote within the window, if the apiserver still has one. */
  async #adopt(t: Tracked, now: number): Promise<void> {
    const { object, reason } = t.record;
    const selectors = [
      `involvedObject.kind=${object.kind}`,
      `involvedObject.name=${object.name}`,
      ...(object.uid === undefined ? [] : [`involvedObject.uid=${object.uid}`]),
      `reason=${reason}`,
    ];
    const list = await this.#o.api.request<{ items?: EventObject[] }>(
      `/api/v1/namespaces/${object.namespace}/events`,
      { query: { fieldSelector: selectors.join(','), limit: 20 }, timeoutMs: this.#o.timeoutMs },
    );
    const best = freshestOwnEvent(list.items ?? [], this.#o.component, now - this.#o.windowMs);
    if (best === undefined) return;
    t.name = best.name;
    t.writtenAt = best.at;
    // What was counted here before adopting is added to what the Event already says, minus the
    // occurrence that made us look (it is most likely the one the Event already counts: the same
    // pod seen again after a restart).
    t.count = best.count + t.count - 1;
    t.writtenCount = best.count;
  }
}

/** The most recently updated Event `component` wrote after `since`, if any. */
function freshestOwnEvent(
  items: readonly EventObject[],
  component: string,
  since: number,
): { name: string; count: number; at: number } | undefined {
  let best: { name: string; count: number; at: number } | undefined;
  for (const e of items) {
    const at = Date.parse(e.lastTimestamp ?? '');
    const name = e.metadata?.name;
    if (e.source?.component !== component || name === undefined || !(at > since)) continue;
    if (best === undefined || at > best.at) best = { name, count: e.count ?? 1, at };
  }
  return best;
}
