import { describe, expect, it } from '@jest/globals';
import { FakeKubeApi } from '../kit/kubernetes/testing/fake-api.js';
import { recordingLogger } from '../kit/testing/logger.js';
import { untilAborted } from '../kit/runner.js';
import type { LeaderElectionOptions } from '../kit/kubernetes/lease.js';
import { LEASE_NAME, leaderOnlyRunner, type Elector } from './leadership.js';

/** An elector the test drives: win() and lose() play the Lease. */
class ScriptedElector implements Elector {
  leading: AbortController | undefined;
  stopped = false;
  constructor(readonly options: LeaderElectionOptions) {}
  start(): void {}
  win(): void {
    this.leading = new AbortController();
    void this.options.onStartedLeading(this.leading.signal);
  }
  async lose(): Promise<void> {
    this.leading?.abort();
    await this.options.onStoppedLeading();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.lose();
  }
}

describe('leader-only parts', () => {
  it('run only while the Lease operator.dapr.io is held, again after it is won back', async () => {
    const runs: string[] = [];
    let elector: ScriptedElector | undefined;
    const runner = leaderOnlyRunner({
      parts: [
        {
          name: 'service-reconciler',
          run: async (signal) => {
            runs.push('start');
            await untilAborted(signal);
            runs.push('stop');
          },
        },
      ],
      election: {
        api: new FakeKubeApi(),
        namespace: 'dapr-system',
        createElector: (o) => (elector = new ScriptedElector(o)),
      },
      log: recordingLogger(),
    });
    const controller = new AbortController();
    const running = runner.run(controller.signal);
    expect(elector!.options.name).toBe(LEASE_NAME);
    expect(elector!.options.namespace).toBe('dapr-system');
    expect(runs).toEqual([]);
    elector!.win();
    await Promise.resolve();
    expect(runs).toEqual(['start']);
    await elector!.lose();
    expect(runs).toEqual(['start', 'stop']);
    elector!.win();
    controller.abort();
    await running;
    expect(elector!.stopped).toBe(true);
    expect(runs).toEqual(['start', 'stop', 'start', 'stop']);
  });

  it('run at once without leader election, and a failing part fails the runner', async () => {
    const runner = leaderOnlyRunner({
      parts: [{ name: 'broken', run: () => Promise.reject(new Error('boom')) }],
      log: recordingLogger(),
    });
    await expect(runner.run(new AbortController().signal)).rejects.toThrow('boom');
  });
});
