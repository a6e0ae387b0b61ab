// The recorder test app on its own (the daprd operator suite relies on each of these answers):
// what it records, the flaky endpoint's attempt counting and its bounds.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../kit/testing/ports.js';
import { repoRoot } from '../deps/paths.js';
import { ManagedProcess, runId } from '../../kit/testing/managed-process.js';

let dir = '';
let recorder: ManagedProcess | undefined;
let base = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-recorder-`));
  const [port] = await freePorts(1);
  base = `http://127.0.0.1:${port}`;
  recorder = await ManagedProcess.start({
    name: 'recorder',
    command: process.execPath,
    args: [join(repoRoot, 'dist/test/apps/recorder.js'), '--port', String(port)],
    logFile: join(dir, 'recorder.log'),
    env: { APP_ID: 'rec' },
  });
  const proc = recorder;
  await proc.waitUntilReady(() => Promise.resolve(proc.output.includes('listening')), {
    what: 'the recorder listening',
  });
});

afterAll(async () => {
  await recorder?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('recorder test app', () => {
  it('answers a delivery with SUCCESS and records it with its caller, body and time', async () => {
    const before = Date.now();
    const r = await fetch(`${base}/orders?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json', 'dapr-caller-app-id': 'app-a' },
      body: JSON.stringify({ type: 'urgent', data: { orderId: 7 } }),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'SUCCESS' });
    const records = (await (await fetch(`${base}/requests`)).json()) as Array<Record<string, unknown>>;
    const rec = records.find((q) => q.path === '/orders');
    expect(rec).toMatchObject({
      method: 'POST',
      query: { x: '1' },
      contentType: 'application/cloudevents+json',
      callerAppId: 'app-a',
      body: { type: 'urgent', data: { orderId: 7 } },
    });
    expect(rec?.at).toBeGreaterThanOrEqual(before);
    expect(rec?.at).toBeLessThanOrEqual(Date.now());
  });

  it('fails /flaky the asked number of times per key, then succeeds; counts every attempt', async () => {
    const call = async (key: string): Promise<[number, unknown]> => {
      const r = await fetch(`${base}/flaky?key=${key}&fail=2`);
      return [r.status, await r.json()];
    };
    expect(await call('k1')).toEqual([500, { key: 'k1', attempt: 1 }]);
    expect(await call('k2')).toEqual([500, { key: 'k2', attempt: 1 }]);
    expect(await call('k1')).toEqual([500, { key: 'k1', attempt: 2 }]);
    expect(await call('k1')).toEqual([200, { key: 'k1', attempt: 3 }]);
    const records = (await (await fetch(`${base}/requests`)).json()) as Array<{
      path: string;
      query: { key?: string };
    }>;
    expect(records.filter((q) => q.path === '/flaky' && q.query.key === 'k1')).toHaveLength(3);
  });

  it('serves /whoami, an empty /dapr/subscribe, and refuses a body over 1 MiB', async () => {
    expect(await (await fetch(`${base}/whoami`)).json()).toMatchObject({ appId: 'rec' });
    expect(await (await fetch(`${base}/dapr/subscribe`)).json()).toEqual([]);
    const big = await fetch(`${base}/big`, { method: 'POST', body: Buffer.alloc((1 << 20) + 1) });
    expect(big.status).toBe(413);
    const records = (await (await fetch(`${base}/requests`)).json()) as Array<{ path: string }>;
    expect(records.map((q) => q.path)).not.toContain('/big');
  });
});
