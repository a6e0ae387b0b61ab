// An in-memory stand-in for the apiserver, for unit tests: objects by path with resourceVersion
// checks on PUT and AlreadyExists on POST, scripted list pages, watch sessions and answers, and
// injected failures. Every request is recorded.
import { KubeApiError, type KubeApi, type Query, type RequestOptions, type WatchEvent } from '../client.js';

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Query;
  readonly body: unknown;
}

/** One watch call: emit events, then end (resolve) or fail (reject). */
export type WatchSession = (onEvent: (event: WatchEvent) => void, signal: AbortSignal) => Promise<void>;

export function notFound(path: string): KubeApiError {
  return new KubeApiError(404, 'NotFound', `${path} not found`);
}

export class FakeKubeApi implements KubeApi {
  readonly requests: RecordedRequest[] = [];
  readonly watches: Query[] = [];
  readonly #objects = new Map<string, Obj>();
  readonly #lists = new Map<string, { pages: unknown[][]; resourceVersion: string }[]>();
  readonly #watchSessions: WatchSession[] = [];
  readonly #failures: { path: string; method: string; error: Error }[] = [];
  readonly #answers: { path: string; method: string; answer: unknown }[] = [];
  #version = 100;

  /** Stores an object at its path (it gets a resourceVersion). */
  withObject(path: string, object: Obj): this {
    this.#objects.set(path, this.#versioned(object));
    return this;
  }

  /** The next list of `path` answers with these pages (one list per call, in order). */
  withList(path: string, pages: unknown[][], resourceVersion = '1'): this {
    const queue = this.#lists.get(path) ?? [];
    queue.push({ pages, resourceVersion });
    this.#lists.set(path, queue);
    return this;
  }

  /** The next watch call runs this session; with none left, a watch waits until aborted. */
  withWatch(session: WatchSession): this {
    this.#watchSessions.push(session);
    return this;
  }

  /** The next `method` request to `path` fails with `error`. */
  withFailure(method: string, path: string, error: Error): this {
    this.#failures.push({ method, path, error });
    return this;
  }

  /** The next `method` request to `path` answers with `answer` (e.g. a TokenReview's status). */
  withAnswer(method: string, path: string, answer: unknown): this {
    this.#answers.push({ method, path, answer });
    return this;
  }

  object(path: string): Obj | undefined {
    return this.#objects.get(path);
  }

  #versioned(object: Obj): Obj {
    this.#version++;
    return { ...object, metadata: { ...object.metadata, resourceVersion: String(this.#version) } };
  }

  #list(path: string, query: Query): unknown {
    const queue = this.#lists.get(path);
    const list = queue?.[0];
    if (list === undefined) throw notFound(path);
    const page = query.continue === undefined ? 0 : Number(query.continue);
    const last = page + 1 >= list.pages.length;
    if (last) queue!.shift();
    return {
      metadata: { resourceVersion: list.resourceVersion, ...(last ? {} : { continue: String(page + 1) }) },
      items: list.pages[page] ?? [],
    };
  }

  #write(method: string, path: string, body: Obj): unknown {
    if (method === 'POST') {
      const name = typeof body.metadata?.name === 'string' ? body.metadata.name : '';
      const target = `${path}/${name}`;
      if (this.#objects.has(target)) throw new KubeApiError(409, 'AlreadyExists', `${target} already exists`);
      this.#objects.set(target, this.#versioned(body));
      return this.#objects.get(target);
    }
    const existing = this.#objects.get(path);
    if (existing === undefined) throw notFound(path);
    if (body.metadata?.resourceVersion !== existing.metadata?.resourceVersion) {
      throw new KubeApiError(409, 'Conflict', `${path}: the object has been modified`);
    }
    this.#objects.set(path, this.#versioned(body));
    return this.#objects.get(path);
  }

  request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? 'GET';
    this.requests.push({ method, path, query: options.query ?? {}, body: options.body });
    const failure = this.#failures.findIndex((f) => f.method === method && f.path === path);
    if (failure >= 0) return Promise.reject(this.#failures.splice(failure, 1)[0]!.error);
    const answer = this.#answers.findIndex((a) => a.method === method && a.path === path);
    if (answer >= 0) return Promise.resolve(this.#answers.splice(answer, 1)[0]!.answer as T);
    try {
      if (method !== 'GET') return Promise.resolve(this.#write(method, path, options.body as Obj) as T);
      const object = this.#objects.get(path);
      return Promise.resolve((object ?? this.#list(path, options.query ?? {})) as T);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.watches.push(query);
    const session = this.#watchSessions.shift();
    if (session !== undefined) return session(onEvent, signal);
    return new Promise((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}
