// A small JSON client for the Kubernetes API on node:http(s): one keep-alive agent, requests that
// resolve with the decoded object or reject with a KubeApiError carrying the HTTP status and the
// apiserver's Status reason, and watches that stream events to a callback. It speaks only JSON
// and knows no resource types; callers name paths and read the fields they need.
import { readFileSync } from 'node:fs';
import type { Agent as HttpAgentType, IncomingMessage } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from '../node-http.js';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeConnection } from './config.js';

/** A non-2xx answer from the apiserver (or a watch ERROR event). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';

  constructor(
    /** HTTP status (from the Status object for watch errors). */
    readonly status: number,
    /** metav1.Status reason, e.g. NotFound, Conflict, AlreadyExists, Expired, Gone. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 404;
}

/** 409: Conflict on update (stale resourceVersion) or AlreadyExists on create. */
export function isConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.status === 409;
}

/** 410 Gone: the resourceVersion is too old to watch or continue from; list again. */
export function isGone(err: unknown): boolean {
  return err instanceof KubeApiError && (err.status === 410 || err.reason === 'Expired');
}

/** Worth retrying later: no answer at all, throttling, or a server-side failure. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return true;
  return err.status === 429 || err.status >= 500;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly query?: Query;
  readonly body?: unknown;
  /** Content-Type of the body; PATCH needs e.g. `application/json-patch+json`. Default JSON. */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  /** Default 30 s. */
  readonly timeoutMs?: number;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
  readonly object: unknown;
}

/** What list-and-watch consumers need; KubeClient implements it, tests fake it. */
export interface KubeApi {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
  /**
   * Streams events until the server ends the watch (resolves), `signal` aborts (resolves), or
   * something fails (rejects; an ERROR event rejects with its Status as a KubeApiError).
   */
  watch(path: string, query: Query, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** A watch connection may stay silent this much longer than its timeoutSeconds. */
const WATCH_IDLE_GRACE_S = 60;
/** How long a read service-account token is reused before the file is read again. */
const TOKEN_REREAD_MS = 60_000;

interface StatusObject {
  readonly kind?: string;
  readonly code?: number;
  readonly reason?: string;
  readonly message?: string;
}

function apiError(status: number, body: string): KubeApiError {
  let parsed: StatusObject | undefined;
  try {
    parsed = JSON.parse(body) as StatusObject;
  } catch {
    parsed = undefined;
  }
  const message = parsed?.message ?? (body.trim() || `HTTP ${status}`);
  return new KubeApiError(status, parsed?.reason ?? '', message);
}

function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

export interface KubeClientOptions {
  /** Sent as User-Agent, e.g. `dapr-sentry`. */
  readonly userAgent?: string;
  readonly now?: () => number;
}

export class KubeClient implements KubeApi {
  readonly #connection: KubeConnection;
  readonly #url: URL;
  readonly #agent: HttpAgentType;
  readonly #userAgent: string;
  readonly #now: () => number;
  #token: { value: string; readAt: number } | undefined;

  constructor(connection: KubeConnection, options: KubeClientOptions = {}) {
    this.#connection = connection;
    this.#url = new URL(connection.server);
    this.#userAgent = options.userAgent ?? 'dapr-ts';
    this.#now = options.now ?? Date.now;
    this.#agent =
      this.#url.protocol === 'http:'
        ? new HttpAgent({ keepAlive: true })
        : new HttpsAgent({
            keepAlive: true,
            ca: connection.ca,
            cert: connection.clientCert,
            key: connection.clientKey,
            rejectUnauthorized: !connection.insecureSkipTlsVerify,
            servername: connection.tlsServerName,
          });
  }

  /** The apiserver address, for logs. */
  get server(): string {
    return this.#connection.server;
  }

  #bearerToken(): string | undefined {
    const { token, tokenFile } = this.#connection;
    if (tokenFile === undefined) return token;
    const now = this.#now();
    if (this.#token === undefined || now - this.#token.readAt >= TOKEN_REREAD_MS) {
      try {
        this.#token = { value: readFileSync(tokenFile, 'utf8').trim(), readAt: now };
      } catch (err) {
        // Keep the last token if the file is briefly missing (kubelet swaps it atomically).
        if (this.#token === undefined) throw err;
      }
    }
    return this.#token.value;
  }

  #headers(body: string | undefined, contentType = 'application/json'): Record<string, string> {
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': this.#userAgent };
    const token = this.#bearerToken();
    const { username, password } = this.#connection;
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    else if (username !== undefined) {
      headers.Authorization = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    }
    if (body !== undefined) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    return headers;
  }

  /** Opens a request and resolves with the response head; the caller reads the body. */
  #open(path: string, options: RequestOptions, timeoutMs: number | undefined): Promise<IncomingMessage> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const url = new URL(
      `${this.#url.pathname.replace(/\/$/, '')}${path}${queryString(options.query)}`,
      this.#url,
    );
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, {
        method: options.method ?? 'GET',
        headers: this.#headers(body, options.contentType),
        agent: this.#agent,
        signal: options.signal,
      });
      if (timeoutMs !== undefined) {
        req.setTimeout(timeoutMs, () =>
          req.destroy(new Error(`${options.method ?? 'GET'} ${path}: no answer within ${timeoutMs} ms`)),
        );
      }
      req.on('response', resolve);
      req.on('error', reject);
      req.end(body);
    });
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.#open(path, options, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const text = await readAll(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(status, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** GET that resolves with undefined on 404. */
  async get<T>(path: string, options: Omit<RequestOptions, 'method' | 'body'> = {}): Promise<T | undefined> {
    try {
      return await this.request<T>(path, options);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async watch(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return;
    let res: IncomingMessage;
    try {
      // The server ends the watch after timeoutSeconds; a connection silent for a minute longer
      // than that is dead (bookmarks keep a live one talking), and is dropped.
      const idleMs =
        typeof query.timeoutSeconds === 'number'
          ? (query.timeoutSeconds + WATCH_IDLE_GRACE_S) * 1000
          : undefined;
      res = await this.#open(path, { query: { ...query, watch: true }, signal }, idleMs);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw apiError(status, await readAll(res));
    await streamEvents(res, onEvent, signal);
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#agent.destroy();
  }
}

/** Reads newline-delimited watch events until the stream ends. */
function streamEvents(
  res: IncomingMessage,
  onEvent: (event: WatchEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      res.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    res.setEncoding('utf8');
    const deliver = (line: string): void => {
      if (line === '') return;
      try {
        const event = JSON.parse(line) as { type?: string; object?: unknown };
        if (event.type === 'ERROR') {
          const s = (event.object ?? {}) as StatusObject;
          fail(new KubeApiError(s.code ?? 500, s.reason ?? '', s.message ?? 'watch error'));
        } else {
          onEvent(event as WatchEvent);
        }
      } catch (err) {
        fail(err);
      }
    };
    res.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while (!failed && (newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        deliver(line);
      }
    });
    res.on('end', () => {
      // The last event may lack its newline (JSON framing does not need one, and client-go's
      // decoder accepts it).
      if (!failed) deliver(buffered.trim());
      if (!failed) resolve();
    });
    res.on('error', (err) => (signal.aborted ? resolve() : fail(err)));
    res.on('close', () => {
      if (!failed) resolve();
    });
  });
}
