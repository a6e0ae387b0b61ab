import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isConflict,
  isGone,
  isNotFound,
  isTransient,
  KubeApiError,
  KubeClient,
  type WatchEvent,
} from './client.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

describe('the Kubernetes JSON client (against a local HTTP server)', () => {
  let server: Server;
  let base: string;
  let handler: Handler = (_req, res) => res.end();
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kube-client-'));
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (extra: { token?: string; tokenFile?: string } = {}): KubeClient =>
    new KubeClient({ server: base, insecureSkipTlsVerify: false, source: 'test', ...extra });

  it('sends JSON with the bearer token and decodes the answer', async () => {
    handler = (_req, res) => res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"ok":true}');
    const c = client({ token: 'abc' });
    const answer = await c.request<{ ok: boolean }>('/api/v1/namespaces/x/secrets', {
      method: 'POST',
      body: { a: 1 },
      query: { dryRun: 'All', skip: undefined },
    });
    c.close();
    expect(answer).toEqual({ ok: true });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/api/v1/namespaces/x/secrets?dryRun=All',
      auth: 'Bearer abc',
      body: '{"a":1}',
    });
  });

  it('re-reads a token file (projected tokens rotate)', async () => {
    handler = (_req, res) => res.end('{}');
    const file = join(dir, 'token');
    writeFileSync(file, 'first\n');
    let now = 0;
    const c = new KubeClient(
      { server: base, tokenFile: file, insecureSkipTlsVerify: false, source: 'test' },
      { now: () => now },
    );
    await c.request('/a');
    writeFileSync(file, 'second');
    await c.request('/b');
    now = 61_000;
    await c.request('/c');
    c.close();
    expect(seen.slice(-3).map((s) => s.auth)).toEqual(['Bearer first', 'Bearer first', 'Bearer second']);
  });

  it('turns a Status answer into a KubeApiError with the status and reason', async () => {
    handler = (_req, res) =>
      res
        .writeHead(404)
        .end('{"kind":"Status","reason":"NotFound","message":"secrets \\"x\\" not found","code":404}');
    const c = client();
    const err = await c.request('/api/v1/namespaces/x/secrets/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ status: 404, reason: 'NotFound', message: 'secrets "x" not found' });
    expect(isNotFound(err)).toBe(true);
    await expect(c.get('/api/v1/namespaces/x/secrets/x')).resolves.toBeUndefined();
    c.close();
    expect(isConflict(new KubeApiError(409, 'Conflict', ''))).toBe(true);
    expect(isGone(new KubeApiError(410, 'Gone', ''))).toBe(true);
    expect(isTransient(new KubeApiError(503, '', ''))).toBe(true);
    expect(isTransient(new KubeApiError(403, 'Forbidden', ''))).toBe(false);
    expect(isTransient(new Error('ECONNREFUSED'))).toBe(true);
  });

  it('streams watch events split across chunks, and ends when the server ends', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD');
      res.end('IFIED","object":{"metadata":{"name":"a"}}}\n');
    };
    const events: WatchEvent[] = [];
    const c = client();
    await c.watch(
      '/api/v1/pods',
      { resourceVersion: '5' },
      (e) => events.push(e),
      new AbortController().signal,
    );
    c.close();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
    expect(seen.at(-1)?.url).toBe('/api/v1/pods?resourceVersion=5&watch=true');
  });

  it('rejects a watch with the Status of an ERROR event (410 Gone)', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.end(
        '{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}}\n',
      );
    };
    const c = client();
    const err = await c
      .watch('/api/v1/pods', {}, () => undefined, new AbortController().signal)
      .catch((e: unknown) => e);
    c.close();
    expect(isGone(err)).toBe(true);
  });

  it('resolves a watch when it is aborted', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n');
    };
    const stop = new AbortController();
    const c = client();
    const events: WatchEvent[] = [];
    const watching = c.watch(
      '/api/v1/pods',
      {},
      (e) => {
        events.push(e);
        stop.abort();
      },
      stop.signal,
    );
    await expect(watching).resolves.toBeUndefined();
    c.close();
    expect(events).toHaveLength(1);
  });
});
