// The operator's gRPC edge: dapr.proto.operator.v1.Operator on --port (6500) over mTLS with the
// operator's SVID, client certificates required (docs/contracts/operator.md §1, §2). Each call is authorized
// by the namespace gate, then answered from the informer caches (resources.ts) or registered as
// a stream watcher (streams.ts). Responses are written pre-encoded.
import {
  Metadata,
  status,
  type sendUnaryData,
  type ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedHandleCall,
} from '@grpc/grpc-js';
import type { HealthTarget } from '../../kit/health-targets.js';
import type { Logger } from '../../kit/logger.js';
import { untilAborted } from '../../kit/runner.js';
import type { Informers } from '../cache/informers.js';
import type { KindKey } from '../cache/kinds.js';
import {
  decodeRequest,
  encodeRequest,
  METHOD_NAMES,
  METHODS,
  methodPath,
  type MethodName,
  type OperatorRequest,
} from '../proto/operator.js';
import { authorize } from './authz.js';
import { shuttingDown, toApiError, type ApiError } from './errors.js';
import {
  callerFromCertificate,
  type PeerCertificateDer,
  type WorkloadCaller as Caller,
} from '../../kit/security/workload-caller.js';
import { getResponse, isGetMethod, isListMethod, listResponse } from './resources.js';
import type { SecretReader } from './secrets.js';
import { KindBroadcaster, StreamWatcher } from './streams.js';
import {
  bindGrpcServer,
  controlPlaneGrpcServer,
  grpcBindAddress,
  shutdownGrpcServer,
} from '../../kit/grpc-serve.js';

const STREAM_KINDS = {
  ComponentUpdate: 'component',
  SubscriptionUpdate: 'subscription',
  HTTPEndpointUpdate: 'httpEndpoint',
  MCPServerUpdate: 'mcpServer',
  ConfigurationUpdate: 'configuration',
  ResiliencyUpdate: 'resiliency',
  WorkflowAccessPolicyUpdate: 'workflowAccessPolicy',
} as const satisfies Partial<Record<MethodName, KindKey>>;

type StreamMethod = keyof typeof STREAM_KINDS;

function isStreamMethod(method: MethodName): method is StreamMethod {
  return method in STREAM_KINDS;
}

/** The service for grpc-js: requests decoded, responses already encoded by the handlers. */
export const OPERATOR_SERVICE_DEFINITION: ServiceDefinition = Object.fromEntries(
  METHOD_NAMES.map((method) => [
    method,
    {
      path: methodPath(method),
      requestStream: false,
      responseStream: METHODS[method].shape === 'event',
      requestSerialize: (r: Partial<OperatorRequest>) => encodeRequest(method, r),
      requestDeserialize: (bytes: Buffer) => decodeRequest(method, bytes),
      responseSerialize: (bytes: Buffer) => bytes,
      responseDeserialize: (bytes: Buffer) => bytes,
      originalName: method,
    },
  ]),
);

export interface OperatorApiServerOptions {
  /** --port (0 picks a free port, for tests). */
  readonly port: number;
  /** --listen-address; empty: every interface. */
  readonly listenAddress: string;
  /** mTLS with the operator SVID, client certificates required. */
  readonly credentials: ServerCredentials;
  readonly informers: Informers;
  readonly readSecret: SecretReader;
  readonly log?: Logger;
  /** `operator-api-server`: ready once the listener is bound. */
  readonly health?: HealthTarget;
  readonly onListening?: (port: number) => void;
  readonly shutdownGraceMs?: number;
}

function callerOf(call: {
  getAuthContext(): { sslPeerCertificate?: PeerCertificateDer } | undefined;
}): Caller | undefined {
  return callerFromCertificate(call.getAuthContext()?.sslPeerCertificate);
}

export class OperatorApiServer {
  readonly #opts: OperatorApiServerOptions;
  readonly #broadcasters: Readonly<Record<StreamMethod, KindBroadcaster>>;
  #shuttingDown = false;

  constructor(opts: OperatorApiServerOptions) {
    this.#opts = opts;
    const broadcasters = {} as Record<StreamMethod, KindBroadcaster>;
    for (const method of Object.keys(STREAM_KINDS) as StreamMethod[]) {
      broadcasters[method] = new KindBroadcaster(
        opts.informers.resources[STREAM_KINDS[method]],
        opts.readSecret,
      );
    }
    this.#broadcasters = broadcasters;
  }

  /** Open streams per method (metrics, tests). */
  watcherCount(method: StreamMethod): number {
    return this.#broadcasters[method].watcherCount;
  }

  #unary(method: MethodName) {
    return (call: ServerUnaryCall<OperatorRequest, Buffer>, callback: sendUnaryData<Buffer>): void => {
      const answer = async (): Promise<Buffer> => {
        if (this.#shuttingDown) throw shuttingDown();
        const caller = authorize(callerOf(call), call.request.namespace);
        const sources = { informers: this.#opts.informers, readSecret: this.#opts.readSecret };
        if (isListMethod(method)) return listResponse(method, caller, sources);
        if (isGetMethod(method)) return getResponse(method, caller, call.request.name, sources);
        // ListSubscriptions (Empty) has no namespace, so the gate above always refused it.
        throw toApiError(new Error(`${method} is not served`));
      };
      answer().then(
        (bytes) => callback(null, bytes),
        (err: unknown) => {
          const e: ApiError = toApiError(err);
          if (e.code !== status.PERMISSION_DENIED)
            this.#opts.log?.warn(`${method} for namespace ${call.request.namespace}: ${e.message}`);
          callback({ code: e.code, details: e.message });
        },
      );
    };
  }

  #stream(method: StreamMethod) {
    return (call: ServerWritableStream<OperatorRequest, Buffer>): void => {
      const fail = (e: ApiError): void => {
        call.emit('error', { code: e.code, details: e.message });
      };
      if (this.#shuttingDown) return fail(shuttingDown());
      let caller: Caller;
      try {
        caller = authorize(callerOf(call), call.request.namespace);
      } catch (err) {
        return fail(toApiError(err));
      }
      let onlyName: string | undefined;
      if (method === 'ConfigurationUpdate') {
        // Only the Configuration the app's pods are assigned is streamed (resolved once, §1.6).
        onlyName = this.#opts.informers.pods.configFor(caller.namespace, caller.appId);
        if (onlyName === undefined) {
          this.#opts.log?.debug(
            `No dapr.io/config for app ${caller.appId} in ${caller.namespace}: nothing to stream`,
          );
          // Stay open and silent, as upstream does: no object is named '' (it still ends on shutdown).
          onlyName = '';
        }
      }
      let ended = false;
      const sink = {
        write: (message: Buffer): boolean => (ended ? true : call.write(message)),
        drained: (): Promise<void> =>
          new Promise<void>((resolve) => {
            const done = (): void => {
              call.off('drain', done);
              call.off('close', done);
              resolve();
            };
            call.once('drain', done);
            call.once('close', done);
          }),
        end: (): void => {
          if (ended) return;
          ended = true;
          call.end();
          remove();
        },
      };
      const watcher = new StreamWatcher(caller.appId, onlyName, sink, this.#opts.log);
      const remove = this.#broadcasters[method].add(caller.namespace, watcher);
      const gone = (): void => {
        ended = true;
        remove();
      };
      call.on('cancelled', gone);
      call.on('close', gone);
      call.on('error', gone);
      // Headers now, not with the first event: the client knows the watch is registered, so a
      // change made after this point reaches it (tests and the benchmark rely on it; daprd does
      // not look).
      call.sendMetadata(new Metadata());
      this.#opts.log?.debug(`Sidecar ${caller.namespace}/${caller.appId} connected for ${method}`);
    };
  }

  #handlers(): Record<string, UntypedHandleCall> {
    const handlers: Record<string, UntypedHandleCall> = {};
    for (const method of METHOD_NAMES) {
      handlers[method] = (
        isStreamMethod(method) ? this.#stream(method) : this.#unary(method)
      ) as UntypedHandleCall;
    }
    return handlers;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { port, listenAddress, credentials, log, health } = this.#opts;
    const server = controlPlaneGrpcServer();
    server.addService(OPERATOR_SERVICE_DEFINITION, this.#handlers());
    const bound = await bindGrpcServer(server, grpcBindAddress(listenAddress, port), credentials);
    log?.info(`Starting gRPC server on port ${bound}`);
    health?.ready();
    this.#opts.onListening?.(bound);

    await untilAborted(signal);
    health?.notReady();
    this.#shuttingDown = true;
    // Streams end with OK; daprd reconnects (to another replica behind dapr-api).
    for (const b of Object.values(this.#broadcasters)) {
      b.endAll();
      b.dispose();
    }
    await shutdownGrpcServer(server, this.#opts.shutdownGraceMs);
    log?.info('Operator API server stopped');
  }
}
