// Leader-only parts (docs/contracts/operator.md §5.3): the Service reconcilers (and the watchdog) run only while
// this replica holds the Lease `operator.dapr.io` in the operator namespace; the gRPC API, the
// caches and the conversion webhook run on every replica. A part gets a signal that aborts when
// leadership is lost, and is started again if it is won back. --disable-leader-election runs
// the parts at once, for as long as the process lives.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeApi } from '../kit/kubernetes/client.js';
import type { LeaderElectionOptions } from '../kit/kubernetes/lease.js';
import type { Logger } from '../kit/logger.js';
import { orAborted, untilAborted, type Runner } from '../kit/runner.js';

export const LEASE_NAME = 'operator.dapr.io';

export interface Elector {
  start(): void;
  stop(): Promise<void>;
}

export type ElectorFactory = (options: LeaderElectionOptions) => Elector;

/** controller-runtime's identity: the hostname (the pod name) plus a random suffix. */
export function leaderIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

export interface LeaderOnlyOptions {
  readonly parts: readonly Runner[];
  /** undefined: --disable-leader-election. */
  readonly election?: {
    readonly api: KubeApi;
    readonly namespace: string;
    readonly createElector: ElectorFactory;
  };
  readonly log: Logger;
}

/** Runs `parts` together, failing if any of them fails. */
async function runTogether(parts: readonly Runner[], signal: AbortSignal, log: Logger): Promise<void> {
  await Promise.all(
    parts.map(async (part) => {
      try {
        await part.run(signal);
      } catch (err) {
        if (!signal.aborted) log.error({ error: err }, `Leader-only part ${part.name} failed`);
        throw err;
      }
    }),
  );
}

/** One runner that holds the leader-only parts. */
export function leaderOnlyRunner(options: LeaderOnlyOptions): Runner {
  const { parts, election, log } = options;
  return {
    name: 'leader-election',
    run: async (signal) => {
      if (parts.length === 0) return untilAborted(signal);
      if (election === undefined) {
        log.info('Leader election is disabled: running the reconcilers');
        return runTogether(parts, signal, log);
      }
      let failure: Error | undefined;
      let failed: () => void = () => undefined;
      const failedPromise = new Promise<void>((resolve) => (failed = resolve));
      let current: Promise<void> | undefined;
      const elector = election.createElector({
        api: election.api,
        namespace: election.namespace,
        name: LEASE_NAME,
        identity: leaderIdentity(),
        logger: log,
        onStartedLeading: (leading) => {
          log.info(`Acquired the lease ${election.namespace}/${LEASE_NAME}: starting the reconcilers`);
          current = runTogether(parts, leading, log).catch((err: unknown) => {
            failure = err instanceof Error ? err : new Error(String(err));
            failed();
          });
        },
        onStoppedLeading: async () => {
          log.info(`Not leading ${LEASE_NAME} any more: reconcilers stopped`);
          await current;
        },
        onNewLeader: (identity) => log.info(`New leader of ${LEASE_NAME}: ${identity}`),
      });
      elector.start();
      await orAborted(failedPromise, signal);
      // stop() aborts the leading signal and releases the lease.
      await elector.stop();
      await current;
      if (failure !== undefined) throw failure;
    },
  };
}
