// The actor test app's side of daprd's HTTP actor callbacks, driven the way daprd drives it: the
// config call, method calls that activate an id on first use, and deactivations. The real daprd
// path is test/integration/daprd/actors.test.ts; this pins down what the app reports.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../kit/testing/ports.js';
import { repoRoot } from '../deps/paths.js';
import { ManagedProcess, runId } from '../../kit/testing/managed-process.js';

let dir = '';
let app: ManagedProcess | undefined;
let base = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-actors-app-`));
  const [port] = await freePorts(1);
  base = `http://127.0.0.1:${port}`;
  app = await ManagedProcess.start({
    name: 'actors',
    command: process.execPath,
    args: [join(repoRoot, 'dist/test/apps/actors.js')],
    logFile: join(dir, 'actors.log'),
    env: { APP_PORT: String(port), POD_NAME: 'counter-0', POD_IP: '10.1.2.3' },
  });
  await app.waitUntilReady(() => Promise.resolve(app!.output.includes('listening')), {
    what: 'the actors app listening',
  });
});

afterAll(async () => {
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, path: string): Promise<{ status: number; body: unknown }> => {
  const r = await fetch(`${base}${path}`, { method, body: method === 'PUT' ? '{}' : undefined });
  return { status: r.status, body: await r.json() };
};

describe('the actor test app (Counter)', () => {
  it('declares the one actor type daprd hosts for it', async () => {
    const r = await call('GET', '/dapr/config');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ entities: ['Counter'], drainRebalancedActors: true });
  });

  it('activates an id on its first call, counts calls, and forgets it on deactivation', async () => {
    expect(await call('PUT', '/actors/Counter/a/method/inc')).toEqual({
      status: 200,
      body: { id: 'a', pod: 'counter-0', calls: 1 },
    });
    expect((await call('PUT', '/actors/Counter/a/method/inc')).body).toMatchObject({ calls: 2 });
    expect((await call('PUT', '/actors/Counter/b%2Fc/method/inc')).body).toMatchObject({
      id: 'b/c',
      calls: 1,
    });
    expect((await call('DELETE', '/actors/Counter/a')).status).toBe(200);
    // Deleting an id that is not active is answered but counts nothing.
    expect((await call('DELETE', '/actors/Counter/zzz')).status).toBe(200);
    expect((await call('GET', '/activations')).body).toEqual({
      pod: 'counter-0',
      ip: '10.1.2.3',
      active: ['b/c'],
      activations: 2,
      deactivations: 1,
      calls: 3,
    });
  });

  it('answers 404 for other actor types and routes', async () => {
    expect((await call('PUT', '/actors/Other/a/method/inc')).status).toBe(404);
    expect((await call('GET', '/actors/Counter/a')).status).toBe(404);
    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});
