// The gRPC edge: dapr.proto.placement.v1.Placement/ReportDaprStatus, one long-lived bidi stream
// per daprd (docs/contracts/placement.md §1, §3, §5). It gates on leadership, checks every message (authz.ts),
// turns messages into loop events and lets Dissemination carry out the loops' commands. Orders
// are encoded once per round and written as bytes to every stream.
import {
  status,
  type ServerCredentials,
  type ServerDuplexStream,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import type { HealthTarget } from '../../kit/health-targets.js';
import type { Logger } from '../../kit/logger.js';
import { untilAborted } from '../../kit/runner.js';
import type { PlacementMetrics } from '../metrics.js';
import {
  decodeHost,
  decodeOrder,
  encodeHost,
  HostOperation,
  REPORT_DAPR_STATUS_PATH,
  type Host,
} from '../proto/placement.js';
import { callerFromCertificate } from '../../kit/security/workload-caller.js';
import { authorizeHost, PlacementError } from './authz.js';
import { checkHostLimits, MAX_BUFFERED_BYTES_PER_STREAM } from './limits.js';
import { Dissemination, REAL_TIMERS, type Timers } from './dissemination.js';
import { toStatus, type StreamStatus } from './status.js';
import type { StreamId } from '../loops/events.js';
import {
  bindGrpcServer,
  controlPlaneGrpcServer,
  grpcBindAddress,
  shutdownGrpcServer,
} from '../../kit/grpc-serve.js';

/** The Placement service for grpc-js: responses are written pre-encoded (see Dissemination). */
export const PLACEMENT_SERVICE = {
  ReportDaprStatus: {
    path: REPORT_DAPR_STATUS_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeHost,
    requestDeserialize: decodeHost,
    responseSerialize: (order: Buffer): Buffer => order,
    responseDeserialize: (bytes: Buffer): Buffer => bytes,
    originalName: 'reportDaprStatus',
  },
} satisfies ServiceDefinition;

/** The same method seen from a client (tests, the load generator): orders decoded. */
export const REPORT_DAPR_STATUS_CLIENT = {
  path: REPORT_DAPR_STATUS_PATH,
  serialize: encodeHost,
  deserialize: decodeOrder,
} as const;

export interface PlacementServerOptions {
  /** --port (0 picks a free port, for tests). */
  readonly port: number;
  /** --listen-address; empty means every interface. */
  readonly listenAddress: string;
  /** Insecure, or mTLS requiring a client certificate chained to the trust anchors. */
  readonly credentials: ServerCredentials;
  /** --tls-enabled: callers must present a SPIFFE ID, and messages must match it. */
  readonly mtls: boolean;
  /** --id, quoted in the follower's refusal. */
  readonly nodeId: string;
  /** Whether this replica may serve streams now (a single replica: always). */
  readonly isLeader: () => boolean;
  /** --replicationFactor. */
  readonly replicationFactor: number;
  /** --disseminate-timeout. */
  readonly disseminateTimeoutMs: number;
  /** --disseminate-coalesce-window. */
  readonly coalesceWindowMs: number;
  /** --keepalive-time / --keepalive-timeout: server → daprd HTTP/2 pings (daprd sends no heartbeats). */
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly metrics?: PlacementMetrics;
  readonly log?: Logger;
  /** `placement-server`. */
  readonly health?: HealthTarget;
  readonly onListening?: (port: number) => void;
  readonly shutdownGraceMs?: number;
  /** For tests of the timers. */
  readonly timers?: Timers;
}

const SHUTTING_DOWN = new PlacementError('shuttingDown', 'placement server is shutting down');

function endWith(call: ServerDuplexStream<Host, Buffer>, s: StreamStatus): void {
  call.emit('error', { code: s.code, details: s.details });
}

export class PlacementServer {
  readonly #opts: PlacementServerOptions;
  readonly #dissemination: Dissemination;
  #shuttingDown = false;

  constructor(opts: PlacementServerOptions) {
    this.#opts = opts;
    this.#dissemination = new Dissemination({
      replicationFactor: opts.replicationFactor,
      disseminateTimeoutMs: opts.disseminateTimeoutMs,
      coalesceWindowMs: opts.coalesceWindowMs,
      ...(opts.metrics && { metrics: opts.metrics }),
      ...(opts.log && { log: opts.log }),
      timers: this.#leaderOnlyTimers(opts.timers ?? REAL_TIMERS),
    });
  }

  /** Round timers that fence instead of firing once the term has ended (see the 'data' handler). */
  #leaderOnlyTimers(timers: Timers): Timers {
    return {
      set: (fn, ms) =>
        timers.set(() => {
          if (this.#opts.isLeader()) fn();
          else this.fence();
        }, ms),
      clear: (handle) => timers.clear(handle),
    };
  }

  /** The namespaces' tables (for /placement/state). */
  get dissemination(): Dissemination {
    return this.#dissemination;
  }

  /** Leadership is gone: end every stream before another replica may serve (fencing, §5). */
  fence(): void {
    this.#dissemination.closeAll(toStatus(this.#notLeader()));
  }

  #notLeader(): PlacementError {
    return new PlacementError(
      'notLeader',
      `node id=${this.#opts.nodeId} is not a leader. Only the leader can serve requests`,
    );
  }

  #handle(call: ServerDuplexStream<Host, Buffer>): void {
    if (this.#shuttingDown) return endWith(call, toStatus(SHUTTING_DOWN));
    if (!this.#opts.isLeader()) return endWith(call, toStatus(this.#notLeader()));
    const { mtls, log } = this.#opts;
    const caller = mtls ? callerFromCertificate(call.getAuthContext()?.sslPeerCertificate) : undefined;
    const diss = this.#dissemination;
    let stream: StreamId | undefined;
    let ended = false;
    const finish = (): void => {
      if (stream === undefined) return;
      const closed = stream;
      stream = undefined;
      diss.dispatch({ kind: 'streamClosed', stream: closed });
    };
    let buffered = 0; // bytes written and not yet taken by the client (its write callbacks)
    const sink = {
      write: (order: Buffer): void => {
        if (ended) return;
        buffered += order.length;
        if (buffered > MAX_BUFFERED_BYTES_PER_STREAM) {
          log?.warn({ stream }, `Closing a stream whose client does not read: ${buffered} bytes buffered`);
          sink.close({
            code: status.RESOURCE_EXHAUSTED,
            details: `the client does not read: more than ${MAX_BUFFERED_BYTES_PER_STREAM} bytes of orders are buffered`,
          });
          // What it has not read is dropped: a client this far behind re-joins with a new stream.
          call.destroy();
          return;
        }
        call.write(order, () => {
          buffered -= order.length;
        });
      },
      close: (s: StreamStatus): void => {
        if (ended) return;
        ended = true;
        endWith(call, s);
        finish();
      },
    };
    call.on('data', (host: Host) => {
      if (ended) return;
      // A leader whose term ran out while it could not run (a paused process whose fence timer
      // has not fired yet) must not act on one more message: fence now.
      if (!this.#opts.isLeader()) {
        this.fence();
        return;
      }
      const denied = authorizeHost({ mtls, caller, host }) ?? checkHostLimits(host);
      if (denied !== undefined) {
        log?.debug({ id: host.id, namespace: host.namespace }, `Stream rejected: ${denied.message}`);
        sink.close(toStatus(denied));
        return;
      }
      if (stream === undefined) {
        // Upstream's line, which operators and Dapr's own integration suites match on.
        log?.info(
          `Received status report connection from new namespace=${host.namespace} id=${host.id} host=${host.name}`,
        );
        stream = diss.open(sink);
        diss.dispatch({ kind: 'connAdd', stream, host });
      } else if (host.operation === HostOperation.REPORT) {
        diss.dispatch({ kind: 'reportedHost', stream, host });
      } else {
        diss.dispatch({ kind: 'ack', stream, host });
      }
    });
    call.on('end', () => {
      // daprd's CloseSend: finish our side with OK
      if (!ended) {
        ended = true;
        call.end();
      }
      finish();
    });
    call.on('cancelled', () => {
      ended = true;
      finish();
    });
    call.on('close', finish);
  }

  async run(signal: AbortSignal): Promise<void> {
    const { port, listenAddress, credentials, log, health } = this.#opts;
    const server = controlPlaneGrpcServer({
      'grpc.keepalive_time_ms': this.#opts.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': this.#opts.keepaliveTimeoutMs,
    });
    server.addService(PLACEMENT_SERVICE, { ReportDaprStatus: this.#handle.bind(this) });
    const bound = await bindGrpcServer(server, grpcBindAddress(listenAddress, port), credentials);
    log?.info(`Placement service started on port ${bound}`);
    health?.ready();
    this.#opts.onListening?.(bound);

    await untilAborted(signal);
    health?.notReady();
    this.#shuttingDown = true;
    this.#dissemination.closeAll(toStatus(SHUTTING_DOWN));
    await shutdownGrpcServer(server, this.#opts.shutdownGraceMs);
    log?.info('Placement service stopped');
  }
}
