import { describe, expect, it } from '@jest/globals';
import { sharedSecretReader } from './secret-cache.js';

describe('operator secret reads are shared for a few seconds (docs/contracts/operator.md §1.5)', () => {
  it('one GET per Secret within the TTL, a fresh one after it', async () => {
    let clock = 0;
    const calls: string[] = [];
    const read = sharedSecretReader(
      (ns, name) => {
        calls.push(`${ns}/${name}`);
        return Promise.resolve({ k: String(calls.length) });
      },
      5_000,
      () => clock,
    );
    expect(await read('a', 's')).toEqual({ k: '1' });
    clock = 4_999;
    expect(await read('a', 's')).toEqual({ k: '1' });
    expect(await read('b', 's')).toEqual({ k: '2' });
    clock = 5_000;
    expect(await read('a', 's')).toEqual({ k: '3' });
    expect(calls).toEqual(['a/s', 'b/s', 'a/s']);
  });

  it('a failure is not reused: the next read asks again', async () => {
    let exists = false;
    let calls = 0;
    const read = sharedSecretReader(
      () => {
        calls++;
        return exists ? Promise.resolve({ k: 'v' }) : Promise.reject(new Error('secrets "s" not found'));
      },
      5_000,
      () => 0,
    );
    await expect(read('a', 's')).rejects.toThrow('not found');
    exists = true;
    expect(await read('a', 's')).toEqual({ k: 'v' });
    expect(calls).toBe(2);
  });
});
