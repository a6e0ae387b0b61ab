// Runs a plain HTTP server as a lifecycle part: listen, report the bound address, serve until
// the signal aborts, then close gracefully (idle connections at once, busy ones after a grace
// period). A bind failure rejects, which makes the runner group stop the process.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { orAborted } from './runner.js';

export interface ServeOptions {
  readonly server: Server;
  /** 0 asks the kernel for a free port (tests). */
  readonly port: number;
  /** Undefined or empty: all interfaces, IPv4 and IPv6 (Go's `:port`). */
  readonly host?: string;
  /** How long in-flight requests may take after shutdown begins. */
  readonly graceMs?: number;
  readonly onListening?: (address: AddressInfo) => void;
}

/** Go's net.Listener address text: `[::]:8080`, `0.0.0.0:8080`, `127.0.0.1:8080`. */
export function formatAddress(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

/** Applies the timeouts every control-plane HTTP server shares (Go servers use a 10 s read timeout). */
export function applyServerTimeouts(server: Server): void {
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
}

function listen(server: Server, port: number, host: string | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new Error(`listen tcp ${host ?? ''}:${port}: ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen({ port, host: host === '' ? undefined : host }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, then waits for open requests up to `graceMs` before cutting connections. */
function closeGracefully(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Serves until `signal` aborts; resolves once closed, rejects if listening fails or the server errors. */
export async function serveUntilAborted(options: ServeOptions, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  const { server } = options;
  const address = await listen(server, options.port, options.host);
  options.onListening?.(address);
  let failure: Error | undefined;
  const failed = new Promise<void>((resolve) => {
    server.once('error', (err: Error) => {
      failure = err;
      resolve();
    });
  });
  await orAborted(failed, signal);
  await closeGracefully(server, options.graceMs ?? 5_000);
  if (failure !== undefined) throw failure;
}
