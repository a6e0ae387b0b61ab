#!/usr/bin/env node
// Test app (image dapr-ts/test-app:recorder): an app behind a daprd that records what its
// sidecar delivers, so a test can see the real daprd's behaviour from the app's side.
//   GET  /dapr/subscribe        []  (no programmatic subscriptions: only declarative ones count)
//   GET  /healthz               200
//   GET  /whoami                {hostname, appId}: who answered a service invocation
//   ANY  /flaky?key=K&fail=N    500 for the first N calls with key K, then 200; {key, attempt}
//   GET  /requests              every request recorded so far (this one and /healthz excepted)
//   ANY  other path             recorded; 200 {"status":"SUCCESS"} (what a pub/sub delivery wants)
// A record is {method, path, query, contentType, callerAppId, body (JSON when it parses), at (epoch ms)}: the
// host and the pods share one clock, so a test can compute delivery latencies from `at`.
// Port: --port N, or $PORT, or 8080.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';

/** Recorded requests are kept up to this many (a test never needs more; memory stays bounded). */
const MAX_RECORDS = 10_000;
/** Request bodies beyond this are refused (413): deliveries in tests are small. */
const MAX_BODY_BYTES = 1 << 20;

interface RequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly contentType: string;
  /** `dapr-caller-app-id`: which app a service invocation came from (daprd sets it). */
  readonly callerAppId: string;
  readonly body: unknown;
  readonly at: number;
}

function portArg(): number {
  const i = process.argv.indexOf('--port');
  const v = i >= 0 ? process.argv[i + 1] : process.env.PORT;
  return v ? Number(v) : 8080;
}

const records: RequestRecord[] = [];
const flakyAttempts = new Map<string, number>();

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The body, or undefined when it is over MAX_BODY_BYTES (the rest is drained, not kept). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parsed(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The answer to a recorded request. */
function answer(res: ServerResponse, url: URL): void {
  switch (url.pathname) {
    case '/whoami':
      return json(res, 200, { hostname: hostname(), appId: process.env.APP_ID ?? '' });
    case '/flaky': {
      const key = url.searchParams.get('key') ?? '';
      const fail = Number(url.searchParams.get('fail') ?? '0');
      const attempt = (flakyAttempts.get(key) ?? 0) + 1;
      flakyAttempts.set(key, attempt);
      return json(res, attempt <= fail ? 500 : 200, { key, attempt });
    }
    default:
      return json(res, 200, { status: 'SUCCESS' });
  }
}

function recordOf(req: IncomingMessage, url: URL, bytes: Buffer, at: number): RequestRecord {
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    contentType: req.headers['content-type'] ?? '',
    callerAppId: String(req.headers['dapr-caller-app-id'] ?? ''),
    body: bytes.length === 0 ? undefined : parsed(bytes),
    at,
  };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = Date.now();
  const url = new URL(req.url ?? '/', 'http://x');
  const method = req.method ?? 'GET';
  if (method === 'GET' && url.pathname === '/healthz') return void res.writeHead(200).end('ok');
  if (method === 'GET' && url.pathname === '/requests') return json(res, 200, records);
  if (method === 'GET' && url.pathname === '/dapr/subscribe') return json(res, 200, []);
  const bytes = await readBody(req);
  if (bytes === undefined) return json(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
  if (records.length < MAX_RECORDS) records.push(recordOf(req, url, bytes, at));
  process.stdout.write(`${new Date(at).toISOString()} ${method} ${url.pathname}${url.search}\n`);
  answer(res, url);
}

const server = createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    if (!res.headersSent) json(res, 500, { error: (err as Error).message });
  });
});

const port = portArg();
server.listen(port, '0.0.0.0', () => process.stdout.write(`recorder listening on :${port}\n`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
