#!/usr/bin/env node
// Test app (image dapr-ts/test-app:pinger): two of these call each other through their sidecars
// once a second, so a test can count service invocations (daprd to daprd over mTLS) that fail
// while the sidecars renew their certificates.
//   POST /ping    answers {"from": <own app id>}: what the peer invokes
//   GET  /stats   {"ok": N, "failed": N, "lastError": "..."} of this app's own calls so far
//   GET  /healthz 200
// $TARGET_APP_ID is the app to call, $APP_ID this app's own id, $DAPR_HTTP_PORT the sidecar's
// port (set by the injector), $PORT the app's port (default 3000), $INTERVAL_MS the pause between
// calls (default 1000). Calls start once the sidecar answers its health endpoint, so the count
// covers a running sidecar only.
import { createServer, type ServerResponse } from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const daprPort = Number(process.env.DAPR_HTTP_PORT ?? 3500);
const self = process.env.APP_ID ?? 'pinger';
const target = process.env.TARGET_APP_ID ?? '';
const intervalMs = Number(process.env.INTERVAL_MS ?? 1000);
const stats = { ok: 0, failed: 0, lastError: '' };

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/ping') json(res, 200, { from: self });
  else if (req.method === 'GET' && req.url === '/stats') json(res, 200, stats);
  else if (req.method === 'GET' && req.url === '/healthz') json(res, 200, { ok: true });
  else json(res, 404, { error: `no route ${req.method ?? ''} ${req.url ?? ''}` });
});

async function sidecarHealthy(): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${daprPort}/v1.0/healthz`, { signal: AbortSignal.timeout(2000) });
    return r.status === 204;
  } catch {
    return false;
  }
}

async function pingOnce(): Promise<void> {
  try {
    const r = await fetch(`http://127.0.0.1:${daprPort}/v1.0/invoke/${target}/method/ping`, {
      method: 'POST',
      signal: AbortSignal.timeout(5000),
    });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${body}`);
    stats.ok++;
  } catch (err) {
    stats.failed++;
    stats.lastError = (err as Error).message;
    console.log(`call to ${target} failed: ${stats.lastError}`);
  }
}

async function loop(): Promise<void> {
  while (!(await sidecarHealthy())) await new Promise((ok) => setTimeout(ok, 250));
  console.log(`sidecar healthy; calling ${target} every ${intervalMs} ms`);
  for (;;) {
    await pingOnce();
    await new Promise((ok) => setTimeout(ok, intervalMs));
  }
}

server.listen(port, () => {
  console.log(`pinger ${self} listening on port ${port}`);
  if (target !== '') void loop();
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
