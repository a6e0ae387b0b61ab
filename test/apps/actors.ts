#!/usr/bin/env node
// Test app (image dapr-ts/test-app:actors): an actor host for one actor type, `Counter`, served
// through daprd's HTTP actor callbacks, that tells a test which actors are active on it.
//   GET    /dapr/config                           the actor types this app hosts (daprd asks once)
//   PUT    /actors/Counter/<id>/method/<method>   counts the call; the first one activates <id> here
//   DELETE /actors/Counter/<id>                   daprd deactivating <id> (idle, rebalanced, halted)
//   GET    /activations                           {pod, ip, active: [ids], activations, deactivations, calls}
//   GET    /healthz                               200
// Port: $APP_PORT or 3000. The pod's name and IP come from $POD_NAME and $POD_IP (downward API).
import { createServer, type ServerResponse } from 'node:http';

const ACTOR_TYPE = 'Counter';
const port = Number(process.env.APP_PORT ?? 3000);

/** Calls per active actor id; an id is active from its first call until daprd deactivates it. */
const active = new Map<string, number>();
let activations = 0;
let deactivations = 0;
let calls = 0;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const actorPath = new RegExp(`^/actors/${ACTOR_TYPE}/([^/]+)(?:/method/([^/]+))?$`);

/** The fixed routes: daprd's config call, the health check and the test's view. */
function fixedRoute(method: string, path: string): unknown {
  if (method !== 'GET') return undefined;
  if (path === '/dapr/config')
    // Long idle timeout: only placement (rebalancing, halts) deactivates actors during a test.
    return {
      entities: [ACTOR_TYPE],
      actorIdleTimeout: '1h',
      drainOngoingCallTimeout: '5s',
      drainRebalancedActors: true,
    };
  if (path === '/healthz') return { ok: true };
  if (path === '/activations')
    return {
      pod: process.env.POD_NAME,
      ip: process.env.POD_IP,
      active: [...active.keys()],
      activations,
      deactivations,
      calls,
    };
  return undefined;
}

/** daprd's actor callbacks: a method call (activating the actor here if new) or a deactivation. */
function actorCallback(method: string, path: string): unknown {
  const m = actorPath.exec(path);
  if (m === null) return undefined;
  const id = decodeURIComponent(m[1]!);
  if (method === 'PUT' && m[2] !== undefined) {
    calls++;
    const n = (active.get(id) ?? 0) + 1;
    if (n === 1) activations++;
    active.set(id, n);
    return { id, pod: process.env.POD_NAME, calls: n };
  }
  if (method === 'DELETE' && m[2] === undefined) {
    if (active.delete(id)) deactivations++;
    return {};
  }
  return undefined;
}

const server = createServer((req, res) => {
  // daprd sends bodies with method calls; this app needs none of them, but must read them.
  req.resume();
  const method = req.method ?? '';
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const answer = fixedRoute(method, path) ?? actorCallback(method, path);
  if (answer === undefined) json(res, 404, { message: `no route for ${method} ${path}` });
  else json(res, 200, answer);
});

server.listen(port, () => console.log(`actors app (${ACTOR_TYPE}) listening on port ${port}`));
// A pod's containers get SIGTERM on deletion; leave promptly and cleanly.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
