// What flows into and out of placement's per-namespace dissemination loops (docs/contracts/placement.md §1.5).
// Events are facts the edge observed (a stream opened, a message arrived, a timer fired);
// commands are what the loop wants done (send an order, close a stream, arm a timer). The loops
// do no I/O and read no clock, so a test drives them event by event and never sleeps.
import type { Host, PlacementOrder } from '../proto/placement.js';

/** The edge's handle for one ReportDaprStatus stream; unique for the process lifetime. */
export type StreamId = number;

/** The two timers a namespace owns. */
export type TimerName = 'round' | 'coalesce';

export type LoopEvent =
  /** A stream's first message, after authorization (§3). */
  | { readonly kind: 'connAdd'; readonly stream: StreamId; readonly host: Host }
  /** A later REPORT on the same stream (the hosted-type set changed). */
  | { readonly kind: 'reportedHost'; readonly stream: StreamId; readonly host: Host }
  /** An ack: a later message whose operation is LOCK, UPDATE, UNLOCK (or UNKNOWN, legacy). */
  | { readonly kind: 'ack'; readonly stream: StreamId; readonly host: Host }
  /** The stream ended for any reason: EOF, RST, keepalive failure, send error, our own close. */
  | { readonly kind: 'streamClosed'; readonly stream: StreamId }
  /** A timer armed by an `armTimer` command fired; `token` is the one it was armed with. */
  | {
      readonly kind: 'timerFired';
      readonly namespace: string;
      readonly timer: TimerName;
      readonly token: number;
    };

/** gRPC status codes the loops close streams with (numbers as in grpc's Status). */
export const StreamCode = {
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  PermissionDenied: 7,
  ResourceExhausted: 8,
} as const;
export type StreamCodeName = keyof typeof StreamCode;

export type LoopCommand =
  /** Write one order to each listed stream (encode once, write many). */
  | { readonly kind: 'send'; readonly streams: readonly StreamId[]; readonly order: PlacementOrder }
  /** End a stream with a status; the edge later reports it as `streamClosed` (ignored then). */
  | {
      readonly kind: 'close';
      readonly stream: StreamId;
      readonly code: StreamCodeName;
      readonly message: string;
    }
  /** (Re)arm a timer: fire `timerFired{timer, token}` after `afterMs`, replacing any armed one. */
  | {
      readonly kind: 'armTimer';
      readonly namespace: string;
      readonly timer: TimerName;
      readonly afterMs: number;
      readonly token: number;
    }
  | { readonly kind: 'cancelTimer'; readonly namespace: string; readonly timer: TimerName }
  /** The namespace's gauges changed (dapr_placement_runtimes_total, …_actor_runtimes_total). */
  | {
      readonly kind: 'membership';
      readonly namespace: string;
      readonly runtimes: number;
      readonly actorRuntimes: number;
    }
  /** The last stream left: the namespace's state is gone (its next stream starts at version 0). */
  | { readonly kind: 'namespaceEmpty'; readonly namespace: string };

/** For an exhaustive switch: a value the type system has proven impossible. */
export function unreachable(value: never): never {
  throw new Error(`unhandled loop event ${JSON.stringify(value)}`);
}
