// The walkthrough's hello-world apps against a stand-in sidecar (state API + service invocation
// to nodeapp). The real daprd path is the walkthrough's end-to-end test; this pins down what the
// apps themselves do: pythonapp sends consecutive orders, nodeapp logs and persists each one.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../kit/testing/ports.js';
import { repoRoot } from '../deps/paths.js';
import { ManagedProcess, runId } from '../../kit/testing/managed-process.js';
import { waitFor } from '../../kit/testing/wait.js';

interface Sidecar {
  readonly server: Server;
  readonly state: Map<string, unknown>;
  readonly invocations: number[];
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((ok) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => ok(text));
  });
}

/** Dapr's HTTP API as far as the two apps use it; invocation forwards to nodeapp's port. */
function startSidecar(port: number, nodeappPort: number): Promise<Sidecar> {
  let failedOnce = false;
  const state = new Map<string, unknown>();
  const invocations: number[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const text = await body(req);
      if (req.method === 'POST' && req.url === '/v1.0/state/statestore') {
        for (const item of JSON.parse(text) as { key: string; value: unknown }[])
          state.set(item.key, item.value);
        res.writeHead(204).end();
      } else if (req.method === 'GET' && req.url === '/v1.0/state/statestore/order') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state.get('order')));
      } else if (req.method === 'POST' && req.url === '/v1.0/invoke/nodeapp/method/neworder') {
        const orderId = (JSON.parse(text) as { data: { orderId: number } }).data.orderId;
        invocations.push(orderId);
        // The first attempt at order 2 fails, as a sidecar does while its peer restarts.
        if (orderId === 2 && !failedOnce) {
          failedOnce = true;
          res.writeHead(503).end();
          return;
        }
        const r = await fetch(`http://127.0.0.1:${nodeappPort}/neworder`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: text,
        }).catch(() => undefined);
        res.writeHead(r?.status ?? 500).end();
      } else {
        res.writeHead(404).end();
      }
    })();
  });
  return new Promise((ok) => server.listen(port, '127.0.0.1', () => ok({ server, state, invocations })));
}

let dir = '';
let sidecar: Sidecar | undefined;
const procs: ManagedProcess[] = [];
let nodeappPort = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-hello-`));
  const [appPort, daprPort] = await freePorts(2);
  nodeappPort = appPort!;
  sidecar = await startSidecar(daprPort!, nodeappPort);
  const env = { DAPR_HTTP_PORT: String(daprPort), APP_PORT: String(nodeappPort), INTERVAL_SECONDS: '0.1' };
  const nodeapp = await ManagedProcess.start({
    name: 'nodeapp',
    command: process.execPath,
    args: [join(repoRoot, 'dist/test/apps/nodeapp.js')],
    logFile: join(dir, 'nodeapp.log'),
    env,
  });
  procs.push(nodeapp);
  await nodeapp.waitUntilReady(() => Promise.resolve(nodeapp.output.includes('listening')), {
    what: 'nodeapp listening',
  });
  procs.push(
    await ManagedProcess.start({
      name: 'pythonapp',
      command: '/usr/bin/python3',
      args: [join(repoRoot, 'test/apps/pythonapp.py')],
      logFile: join(dir, 'pythonapp.log'),
      env,
    }),
  );
}, 60_000);

afterAll(async () => {
  for (const p of procs) await p.stop();
  await new Promise((ok) => sidecar?.server.close(ok) ?? ok(undefined));
  rmSync(dir, { recursive: true, force: true });
});

describe('hello-world: pythonapp → sidecar → nodeapp → state store', () => {
  it('sends consecutive orders that nodeapp logs and persists', async () => {
    const log = await waitFor(
      () => {
        // nodeapp logs an order before persisting it, and pythonapp logs it once answered.
        const text = readFileSync(join(dir, 'nodeapp.log'), 'utf8');
        const sent = readFileSync(join(dir, 'pythonapp.log'), 'utf8').includes('Sent order 3');
        return sent && /Order ID: 3\nSuccessfully persisted/.test(text) && text;
      },
      { what: 'three orders in nodeapp log', timeoutMs: 50_000 },
    );
    expect(log).toMatch(
      /Got a new order! Order ID: 1\nSuccessfully persisted state\.\nGot a new order! Order ID: 2\nSuccessfully persisted state\.\nGot a new order! Order ID: 3\n/,
    );
    // Order 2 failed once and was sent again with the same id.
    expect(sidecar!.invocations.slice(0, 4)).toEqual([1, 2, 2, 3]);
    expect(readFileSync(join(dir, 'pythonapp.log'), 'utf8')).toMatch(
      /Sent order 1: HTTP 200\nOrder 2 failed: .*503.*\nSent order 2: HTTP 200\nSent order 3: HTTP 200\n/,
    );
  }, 60_000); // python's start alone took seconds in a loaded full run (jest's default is 5 s)

  it('keeps every order under its own key beside the latest one', () => {
    expect(sidecar!.state.get('order-1')).toEqual({ orderId: 1 });
    expect(sidecar!.state.get('order-2')).toEqual({ orderId: 2 });
    expect(sidecar!.state.get('order-3')).toEqual({ orderId: 3 });
  });

  it('returns the last persisted order from GET /order', async () => {
    const r = await fetch(`http://127.0.0.1:${nodeappPort}/order`);
    expect(r.status).toBe(200);
    const order = (await r.json()) as { orderId: number };
    expect(order).toEqual(sidecar!.state.get('order'));
    expect(order.orderId).toBeGreaterThanOrEqual(3);
  });

  it('refuses an order without an id, and the process stays up', async () => {
    const r = await fetch(`http://127.0.0.1:${nodeappPort}/neworder`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"data":{}}',
    });
    expect(r.status).toBe(400);
    expect(procs[0]!.running).toBe(true);
  });
});
