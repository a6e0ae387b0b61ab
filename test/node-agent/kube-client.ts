// A small Kubernetes REST client for the node agent: JSON requests, merge patches and watches
// over one keep-alive HTTPS agent with the cluster's client certificate. The agent needs only a
// handful of verbs, and owning them keeps status writes and watch restarts easy to reason about.
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';

export interface KubeCredentials {
  /** e.g. https://198.18.7.1:6443 */
  readonly server: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly method: string,
    readonly path: string,
    readonly body: string,
  ) {
    super(`${method} ${path}: HTTP ${code}: ${body.slice(0, 500)}`);
  }
}

export interface RequestOptions {
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  /** Resolves when the stream ends (server close, error, or abort). */
  readonly done: Promise<void>;
  abort(): void;
}

export const MERGE_PATCH = 'application/merge-patch+json';

export class KubeClient {
  readonly #agent: Agent;
  readonly #url: URL;

  constructor(readonly creds: KubeCredentials) {
    this.#url = new URL(creds.server);
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets: 32,
      ca: creds.caPem,
      cert: creds.certPem,
      key: creds.keyPem,
    });
  }

  /** Sends a request; resolves with the parsed JSON body, rejects with KubeError on a non-2xx status. */
  async request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
    const res = await this.#send(method, path, body, opts);
    const text = await readAll(res);
    const code = res.statusCode ?? 0;
    if (code < 200 || code >= 300) throw new KubeError(code, method, path, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET that resolves undefined on 404. */
  async getOptional<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeError && err.code === 404) return undefined;
      throw err;
    }
  }

  mergePatch<T>(path: string, patch: unknown): Promise<T> {
    return this.request<T>('PATCH', path, patch, { contentType: MERGE_PATCH });
  }

  /**
   * Opens a watch (`?watch=1`) and calls `onEvent` for each event line. The handle's `done`
   * resolves when the server ends the stream; the caller decides whether to re-list.
   */
  watch(path: string, onEvent: (type: WatchEventType, obj: unknown) => void): WatchHandle {
    const controller = new AbortController();
    const done = (async (): Promise<void> => {
      const res = await this.#send('GET', path, undefined, { timeoutMs: 0 }, controller.signal);
      if ((res.statusCode ?? 0) !== 200) {
        const text = await readAll(res);
        throw new KubeError(res.statusCode ?? 0, 'GET', path, text);
      }
      res.setEncoding('utf8');
      let buf = '';
      for await (const chunk of res as AsyncIterable<string>) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line === '') continue;
          const ev = JSON.parse(line) as { type: WatchEventType; object: unknown };
          onEvent(ev.type, ev.object);
        }
      }
    })();
    return { done, abort: () => controller.abort() };
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(
    method: string,
    path: string,
    body: unknown,
    opts: RequestOptions,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const timeout = opts.timeoutMs ?? 30_000;
    return new Promise((ok, fail) => {
      const req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          path,
          method,
          agent: this.#agent,
          signal,
          headers: {
            accept: 'application/json',
            ...(payload
              ? { 'content-type': opts.contentType ?? 'application/json', 'content-length': payload.length }
              : {}),
          },
        },
        ok,
      );
      if (timeout > 0) {
        req.setTimeout(timeout, () =>
          req.destroy(new Error(`${method} ${path}: timed out after ${timeout} ms`)),
        );
      }
      req.on('error', fail);
      req.end(payload);
    });
  }
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res as AsyncIterable<string>) text += chunk;
  return text;
}

/** URL query string from defined values. */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
