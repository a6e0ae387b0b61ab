// Our placement server alone on 127.0.0.1 in plaintext, as the unit tests, the Go differential
// and bench/placement run it. Imports nothing beyond the server, so the benchmark's RSS is the
// server's own.
import { ServerCredentials } from '@grpc/grpc-js';
import { PlacementServer, type PlacementServerOptions } from '../server.js';

/** A plaintext leader on 127.0.0.1 with the chart's round settings; override what a test varies. */
export function loopbackServerOptions(
  overrides: Partial<PlacementServerOptions> = {},
): PlacementServerOptions {
  return {
    port: 0,
    listenAddress: '127.0.0.1',
    credentials: ServerCredentials.createInsecure(),
    mtls: false,
    nodeId: 'dapr-placement-0',
    isLeader: () => true,
    replicationFactor: 100,
    disseminateTimeoutMs: 8_000,
    coalesceWindowMs: 0,
    keepaliveTimeMs: 2_000,
    keepaliveTimeoutMs: 3_000,
    shutdownGraceMs: 500,
    ...overrides,
  };
}

export interface RunningServer {
  readonly server: PlacementServer;
  /** host:port it listens on. */
  readonly address: string;
  /** Aborts the run and resolves once the server has shut down. */
  readonly stop: () => Promise<void>;
}

/** Runs a server with loopbackServerOptions(overrides) until stop(). */
export async function startLoopbackServer(
  overrides: Partial<PlacementServerOptions> = {},
): Promise<RunningServer> {
  const abort = new AbortController();
  let listening: (port: number) => void = () => undefined;
  const port = new Promise<number>((resolve) => (listening = resolve));
  const server = new PlacementServer(loopbackServerOptions({ onListening: listening, ...overrides }));
  const run = server.run(abort.signal);
  return {
    server,
    address: `127.0.0.1:${await port}`,
    stop: async () => {
      abort.abort();
      await run;
    },
  };
}
