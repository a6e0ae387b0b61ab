// An in-memory core/v1 Events endpoint for unit tests of what writes Events: POST creates, a merge
// PATCH updates, GET lists by the field selectors the recorder uses; every call is counted.
import { KubeApiError, type KubeApi, type RequestOptions } from '../client.js';

export interface StoredEvent {
  metadata: { name: string; namespace: string };
  involvedObject: { kind: string; name: string; uid?: string; namespace: string };
  reason: string;
  message: string;
  type: string;
  count: number;
  lastTimestamp: string;
  source: { component: string };
}

export class FakeEventsApi implements KubeApi {
  readonly calls: { method: string; path: string }[] = [];
  readonly events = new Map<string, StoredEvent>();
  /** Fail the next N writes with this error. */
  failNext: { count: number; error: Error } | undefined;

  get writes(): number {
    return this.calls.filter((c) => c.method !== 'GET').length;
  }

  /** The stored Events about `name` with `reason`. */
  about(name: string, reason?: string): StoredEvent[] {
    return [...this.events.values()].filter(
      (e) => e.involvedObject.name === name && (reason === undefined || e.reason === reason),
    );
  }

  request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const method = options.method ?? 'GET';
    this.calls.push({ method, path });
    if (method !== 'GET' && this.failNext !== undefined && this.failNext.count > 0) {
      this.failNext.count--;
      return Promise.reject(this.failNext.error);
    }
    if (method === 'POST') {
      const body = structuredClone(options.body) as StoredEvent;
      this.events.set(`${path}/${body.metadata.name}`, body);
      return Promise.resolve(body as T);
    }
    if (method === 'PATCH') {
      const existing = this.events.get(path);
      if (existing === undefined)
        return Promise.reject(new KubeApiError(404, 'NotFound', `${path} not found`));
      Object.assign(existing, options.body);
      return Promise.resolve(existing as T);
    }
    const fields = new Map(
      String(options.query?.fieldSelector ?? '')
        .split(',')
        .filter((f) => f !== '')
        .map((f) => f.split('=') as [string, string]),
    );
    const items = [...this.events.entries()]
      .filter(([key]) => key.startsWith(`${path}/`))
      .map(([, e]) => e)
      .filter(
        (e) =>
          (!fields.has('reason') || e.reason === fields.get('reason')) &&
          (!fields.has('involvedObject.name') ||
            e.involvedObject.name === fields.get('involvedObject.name')) &&
          (!fields.has('involvedObject.uid') || e.involvedObject.uid === fields.get('involvedObject.uid')),
      );
    return Promise.resolve({ items } as T);
  }

  watch(): Promise<void> {
    return Promise.reject(new Error('FakeEventsApi does not watch'));
  }
}
