// The seven *Update streams (docs/contracts/operator.md §1.6). One broadcaster per kind listens to its cache
// and hands each change to the watchers of the object's namespace only. A watcher turns it into
// at most one message (scopes.ts), and sends its messages strictly in order through its own
// queue, waiting for the connection to drain when the client reads slowly. The JSON (with
// secrets resolved) is built once per change and namespace, however many sidecars watch.
// Nothing is sent on connect; if a secret cannot be resolved, that watcher's stream ends (OK),
// as upstream's does, and daprd reconnects. A watcher whose client stops reading is ended the
// same way once MAX_QUEUED_EVENTS wait (docs/operator.md, Limits): daprd reconnects and re-lists.
import type { Logger } from '../../kit/logger.js';
import type { Change, KubeObject, ResourceCache } from '../cache/resource-cache.js';
import { encodeEvent } from '../proto/operator.js';
import { messageFor } from './scopes.js';
import { resolvedJson, type SecretReader } from './secrets.js';

/** The transport side of one stream. */
export interface StreamSink {
  /** Writes one encoded event; false when the client is behind (then wait for drained()). */
  write(message: Buffer): boolean;
  drained(): Promise<void>;
  /** Ends the stream with OK. */
  end(): void;
}

/**
 * Events one watcher may have waiting for its client. Upstream gives each watcher a channel of
 * 10 and then blocks its informer (every other watcher waits); we never block, and end a stream
 * this far behind instead. Ten times upstream's channel absorbs an honest burst (an apply of many
 * components) while a client that stopped reading holds at most this many events.
 */
export const MAX_QUEUED_EVENTS = 100;

/** Encoded events of one change, built on first use and shared by every watcher. */
type EncodedEvents = (object: KubeObject, type: number) => Promise<Buffer>;

export class StreamWatcher {
  readonly appId: string;
  /** ConfigurationUpdate: only this name is forwarded. */
  readonly onlyName: string | undefined;
  readonly #sink: StreamSink;
  readonly #log: Logger | undefined;
  #tail: Promise<void> = Promise.resolve();
  #closed = false;
  /** Resolves on close or end: a send waiting for a client that never drains stops waiting. */
  readonly #whenClosed: Promise<void>;
  #signalClosed: () => void = () => undefined;
  #sent = 0;
  /** Events accepted by offer() and not yet handed to the sink. */
  #queued = 0;

  constructor(appId: string, onlyName: string | undefined, sink: StreamSink, log?: Logger) {
    this.appId = appId;
    this.onlyName = onlyName;
    this.#sink = sink;
    this.#log = log;
    this.#whenClosed = new Promise((resolve) => (this.#signalClosed = resolve));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Events waiting for the client (tests). */
  get queued(): number {
    return this.#queued;
  }

  /** Messages written so far (tests). */
  get sent(): number {
    return this.#sent;
  }

  /** Resolves when every message accepted so far has been written (tests). */
  idle(): Promise<void> {
    return this.#tail;
  }

  /** Stops sending (the client went away). */
  close(): void {
    this.#closed = true;
    this.#signalClosed();
  }

  /** Ends the stream with OK (shutdown). */
  end(): void {
    if (this.#closed) return;
    this.close();
    this.#sink.end();
  }

  offer(change: Change, encoded: EncodedEvents): void {
    if (this.#closed) return;
    if (this.onlyName !== undefined && change.object.metadata.name !== this.onlyName) return;
    const message = messageFor(change, this.appId);
    if (message === undefined) return;
    if (this.#queued >= MAX_QUEUED_EVENTS) {
      this.#log?.warn(
        `Ending the stream of ${this.appId}: ${MAX_QUEUED_EVENTS} events wait for a client that does not read`,
      );
      this.end();
      return;
    }
    this.#queued++;
    const pending = encoded(message.object, message.type);
    pending.catch(() => undefined); // reported below, in order
    this.#tail = this.#tail.then(async () => {
      try {
        await this.#send(message.object, pending);
      } finally {
        this.#queued--;
      }
    });
  }

  async #send(object: KubeObject, pending: Promise<Buffer>): Promise<void> {
    if (this.#closed) return;
    let bytes: Buffer;
    try {
      bytes = await pending;
    } catch (err) {
      const { namespace, name } = object.metadata;
      this.#log?.warn(
        `Ending the stream of ${this.appId}: cannot resolve the secrets of ${object.kind} ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`,
      );
      this.end();
      return;
    }
    if (this.#closed) return;
    this.#sent++;
    // Once ended, what waits behind this write is dropped at once, not when a client that stopped
    // reading finally does: the queue's events are released with the stream.
    if (!this.#sink.write(bytes)) await Promise.race([this.#sink.drained(), this.#whenClosed]);
  }
}

export class KindBroadcaster {
  readonly #byNamespace = new Map<string, Set<StreamWatcher>>();
  readonly #readSecret: SecretReader;
  readonly #unsubscribe: () => void;

  constructor(cache: ResourceCache, readSecret: SecretReader) {
    this.#readSecret = readSecret;
    this.#unsubscribe = cache.subscribe((change) => this.#dispatch(change));
  }

  get watcherCount(): number {
    let n = 0;
    for (const set of this.#byNamespace.values()) n += set.size;
    return n;
  }

  add(namespace: string, watcher: StreamWatcher): () => void {
    let set = this.#byNamespace.get(namespace);
    if (set === undefined) {
      set = new Set();
      this.#byNamespace.set(namespace, set);
    }
    set.add(watcher);
    return () => {
      watcher.close();
      set.delete(watcher);
      if (set.size === 0 && this.#byNamespace.get(namespace) === set) this.#byNamespace.delete(namespace);
    };
  }

  #dispatch(change: Change): void {
    const namespace = change.object.metadata.namespace;
    const watchers = this.#byNamespace.get(namespace);
    if (watchers === undefined) return;
    const json = new Map<KubeObject, Promise<Buffer>>();
    const events = new Map<string, Promise<Buffer>>();
    const encoded: EncodedEvents = (object, type) => {
      const key = `${object === change.object ? 'new' : 'old'}:${type}`;
      let event = events.get(key);
      if (event === undefined) {
        let body = json.get(object);
        if (body === undefined) {
          body = resolvedJson(object, namespace, this.#readSecret);
          json.set(object, body);
        }
        event = body.then((bytes) => encodeEvent({ object: bytes, type }));
        events.set(key, event);
      }
      return event;
    };
    for (const watcher of watchers) watcher.offer(change, encoded);
  }

  /** Ends every watcher's stream (shutdown). */
  endAll(): void {
    for (const set of this.#byNamespace.values()) for (const w of set) w.end();
    this.#byNamespace.clear();
  }

  dispose(): void {
    this.#unsubscribe();
  }
}
