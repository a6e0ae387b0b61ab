// The lifecycle contract: parts run together and stop together, with a deadline.
import { describe, expect, it, jest } from '@jest/globals';
import {
  RunnerError,
  ShutdownTimeoutError,
  orAborted,
  runGroup,
  untilAborted,
  type Runner,
} from './runner.js';

/** A part that runs until aborted and records that it stopped. */
function service(name: string, stopped: string[]): Runner {
  return {
    name,
    run: async (signal) => {
      await untilAborted(signal);
      stopped.push(name);
    },
  };
}

describe('runGroup', () => {
  it('runs every part until the outer signal aborts, then waits for all to stop', async () => {
    const stopped: string[] = [];
    const outer = new AbortController();
    const group = runGroup([service('a', stopped), service('b', stopped)], outer.signal);
    await new Promise((r) => setTimeout(r, 10));
    expect(stopped).toEqual([]);
    outer.abort();
    await expect(group).resolves.toBeUndefined();
    expect(stopped.sort()).toEqual(['a', 'b']);
  });

  it('aborts the other parts when one fails, and rejects with the failure named', async () => {
    const stopped: string[] = [];
    const failing: Runner = {
      name: 'metrics-server',
      run: () => Promise.reject(new Error('address in use')),
    };
    const group = runGroup([service('healthz-server', stopped), failing], new AbortController().signal);
    await expect(group).rejects.toThrow(new RunnerError('metrics-server', new Error('address in use')));
    expect(stopped).toEqual(['healthz-server']);
  });

  it('ends the group when a part returns early without error', async () => {
    const stopped: string[] = [];
    const quick: Runner = { name: 'quick', run: () => Promise.resolve() };
    await expect(
      runGroup([service('a', stopped), quick], new AbortController().signal),
    ).resolves.toBeUndefined();
    expect(stopped).toEqual(['a']);
  });

  it('reports every failure when several parts fail', async () => {
    const fail = (name: string): Runner => ({ name, run: () => Promise.reject(new Error(`${name} broke`)) });
    await expect(runGroup([fail('x'), fail('y')], new AbortController().signal)).rejects.toThrow(
      'x: x broke; y: y broke',
    );
  });

  it('gives up on a part that does not stop before the deadline', async () => {
    const stuck: Runner = { name: 'stuck', run: () => new Promise(() => undefined) };
    const outer = new AbortController();
    outer.abort();
    await expect(runGroup([stuck], outer.signal, { shutdownTimeoutMs: 20 })).rejects.toThrow(
      new ShutdownTimeoutError(['stuck']),
    );
  });

  it('passes the failure of a transparent part through without its own name', async () => {
    const inner: Runner = { name: 'grpc-server', run: () => Promise.reject(new Error('address in use')) };
    const service: Runner = {
      name: 'placement',
      transparent: true,
      run: (signal) => runGroup([inner], signal),
    };
    await expect(runGroup([service], new AbortController().signal)).rejects.toThrow(
      new RunnerError('grpc-server', new Error('address in use')),
    );
  });

  it('does not start work that outlives an already-aborted signal', async () => {
    const stopped: string[] = [];
    const outer = new AbortController();
    outer.abort();
    await runGroup([service('a', stopped)], outer.signal);
    expect(stopped).toEqual(['a']);
  });
});

describe('orAborted', () => {
  it('resolves with the value of the work when it comes first', async () => {
    await expect(orAborted(Promise.resolve('ready'), new AbortController().signal)).resolves.toBe('ready');
  });

  it('resolves with undefined once the signal aborts, and at once if it already has', async () => {
    const outer = new AbortController();
    const waiting = orAborted(new Promise<string>(() => undefined), outer.signal);
    outer.abort();
    await expect(waiting).resolves.toBeUndefined();
    await expect(orAborted(new Promise<string>(() => undefined), outer.signal)).resolves.toBeUndefined();
  });

  it('rejects when the work fails first', async () => {
    await expect(orAborted(Promise.reject(new Error('boom')), new AbortController().signal)).rejects.toThrow(
      'boom',
    );
  });

  it('removes its abort listener once the race is decided', async () => {
    const outer = new AbortController();
    const added = jest.spyOn(outer.signal, 'addEventListener');
    const removed = jest.spyOn(outer.signal, 'removeEventListener');
    for (let i = 0; i < 3; i += 1) await orAborted(Promise.resolve(i), outer.signal);
    expect(added).toHaveBeenCalledTimes(3);
    expect(removed.mock.calls.map((call) => call[1])).toEqual(added.mock.calls.map((call) => call[1]));
  });
});
