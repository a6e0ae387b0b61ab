// A test client that finds the placement leader among several addresses the way daprd 1.18 does
// (docs/contracts/placement.md §1.7, §5): one stream at a time; when a stream that was established ends (a
// follower's "not a leader", a fenced leader, a reset) it moves to the next address at once; when
// the dial itself fails it sleeps 250–750 ms first. Each stream speaks daprd's side of the protocol
// through TestDaprd (report on connect, ack every order).
import { status, type ChannelCredentials } from '@grpc/grpc-js';
import type { PlacementOrder } from '../proto/placement.js';
import { TestDaprd } from '../server/testing/test-daprd.js';

export interface FailoverDaprdOptions {
  readonly addresses: readonly string[];
  readonly name: string;
  readonly id: string;
  readonly namespace: string;
  readonly entities: readonly string[];
  /** One per stream: a fresh channel each time, as daprd dials anew. */
  readonly credentials: () => ChannelCredentials;
}

/** One stream's outcome, for the test's assertions and the failover log. */
export interface Attempt {
  readonly address: string;
  readonly at: number;
  code?: number;
  details?: string;
  orders: number;
}

export class FailoverDaprd {
  readonly opts: FailoverDaprdOptions;
  readonly attempts: Attempt[] = [];
  #current: TestDaprd | undefined;
  #next = 0;
  #stopped = false;
  readonly #loop: Promise<void>;

  constructor(opts: FailoverDaprdOptions) {
    this.opts = opts;
    this.#loop = this.#run();
  }

  /** The stream now open (or being opened). */
  get current(): TestDaprd | undefined {
    return this.#current;
  }

  /** The latest table of the current stream, once its round has unlocked. */
  get unlockedTable(): PlacementOrder['tables'] | undefined {
    const d = this.#current;
    if (d === undefined || d.error !== undefined || d.ended) return undefined;
    const lastUnlock = d.orders.findLastIndex((o) => o.operation === 'unlock');
    if (lastUnlock < 0) return undefined;
    return d.orders
      .slice(0, lastUnlock)
      .filter((o) => o.operation === 'update')
      .at(-1)?.tables;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#current?.close();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const address = this.opts.addresses[this.#next % this.opts.addresses.length]!;
      this.#next++;
      const attempt: Attempt = { address, at: performance.now(), orders: 0 };
      this.attempts.push(attempt);
      const d = new TestDaprd({
        address,
        name: this.opts.name,
        id: this.opts.id,
        namespace: this.opts.namespace,
        entities: this.opts.entities,
        credentials: this.opts.credentials(),
      });
      this.#current = d;
      await d.until((x) => x.error !== undefined || x.ended || this.#stopped, 24 * 3_600_000);
      attempt.code = d.error?.code ?? status.OK;
      attempt.details = d.error?.details;
      attempt.orders = d.orders.length;
      d.close();
      if (this.#stopped) break;
      // daprd: a dial or stream-open failure sleeps 250–750 ms; an established stream that ends
      // (a follower's refusal included) reconnects at once.
      const dialFailed = d.error?.code === status.UNAVAILABLE && d.orders.length === 0;
      if (dialFailed) await new Promise((r) => setTimeout(r, 250 + Math.random() * 500));
    }
  }
}
