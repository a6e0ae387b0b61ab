// The redis the walkthrough's state store uses: the cached Debian redis-server really serves,
// and enforces its password.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRedis, type TestRedis } from '../../harness/redis.js';
import { run } from '../../harness/tools.js';
import { cachedBinary } from '../../deps/paths.js';

let redis: TestRedis | undefined;
beforeAll(async () => {
  redis = await startRedis({ password: 'p4ss-word' });
});
afterAll(async () => {
  await redis?.stop();
});

describe('the cached redis-server', () => {
  it('stores and returns a value for a client that knows the password', async () => {
    const r = redis!;
    expect(await r.cli('SET', 'order', '{"orderId":7}')).toBe('OK');
    expect(await r.cli('GET', 'order')).toBe('{"orderId":7}');
    expect(await r.cli('INFO', 'server')).toMatch(/redis_version:7\./);
  });

  it('refuses a client without the password', async () => {
    const r = redis!;
    const out = await run(cachedBinary('redis-cli'), ['-h', r.host, '-p', String(r.port), 'GET', 'order']);
    expect(out.stdout + out.stderr).toMatch(/NOAUTH Authentication required/);
  });

  it('is gone after stop()', async () => {
    const r = redis!;
    await r.stop();
    expect(r.process.running).toBe(false);
    redis = undefined;
  });
});
