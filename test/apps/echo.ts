#!/usr/bin/env node
// Test app (image dapr-ts/test-app:echo): an HTTP server that shows a test what the pod sees.
//   GET  /healthz          200, or 500 after POST /sick (for liveness tests)
//   GET  /whoami           hostname, uid, gid, groups, pid
//   GET  /env              the environment
//   GET  /file?path=P      a file's content (404 if missing)
//   GET  /resolve?name=N   every address N resolves to inside the pod
//   GET  /call?url=U       fetches U from inside the pod: {status, body} or {error}
//   POST /sick             /healthz fails from now on
// Port: --port N, or $PORT, or 8080. Each request is logged on stdout.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { lookup } from 'node:dns/promises';

function portArg(): number {
  const i = process.argv.indexOf('--port');
  const v = i >= 0 ? process.argv[i + 1] : process.env.PORT;
  return v ? Number(v) : 8080;
}

let sick = false;

function json(res: import('node:http').ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function call(url: string): Promise<unknown> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
    return { status: r.status, body: await r.text() };
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return { error: `${e.message}${e.cause ? `: ${e.cause.message}` : ''}` };
  }
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  process.stdout.write(`${new Date().toISOString()} ${req.method} ${url.pathname}${url.search}\n`);
  void (async (): Promise<void> => {
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /healthz':
        res.writeHead(sick ? 500 : 200).end(sick ? 'sick' : 'ok');
        return;
      case 'POST /sick':
        sick = true;
        res.writeHead(200).end('ok, sick now');
        return;
      case 'GET /whoami':
        json(res, 200, {
          hostname: hostname(),
          uid: process.getuid?.(),
          gid: process.getgid?.(),
          groups: process.getgroups?.(),
          pid: process.pid,
        });
        return;
      case 'GET /env':
        json(res, 200, process.env);
        return;
      case 'GET /file':
        try {
          res.writeHead(200).end(readFileSync(url.searchParams.get('path') ?? '', 'utf8'));
        } catch (err) {
          res.writeHead(404).end((err as Error).message);
        }
        return;
      case 'GET /resolve':
        try {
          json(res, 200, await lookup(url.searchParams.get('name') ?? '', { all: true }));
        } catch (err) {
          json(res, 404, { error: (err as Error).message });
        }
        return;
      case 'GET /call':
        json(res, 200, await call(url.searchParams.get('url') ?? ''));
        return;
      default:
        res.writeHead(404).end('not found');
    }
  })();
});

const port = portArg();
server.listen(port, '0.0.0.0', () =>
  process.stdout.write(`echo listening on :${port} as uid ${process.getuid?.()}\n`),
);
process.on('SIGTERM', () => {
  process.stdout.write('SIGTERM: shutting down\n');
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
