// Binding and stopping the control plane's gRPC servers (sentry, placement, operator) the same
// way: Go's listen-address rules for the bind address, and a shutdown that lets in-flight calls
// finish for a grace period before cutting the rest, so SIGTERM never hangs on a stuck stream.
import { Server, type ServerCredentials, type ServerOptions } from '@grpc/grpc-js';

/** How long in-flight calls may run on after shutdown starts, unless a service says otherwise. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;

/**
 * A control-plane gRPC server. Channelz is off: nothing of ours or upstream's queries it (Go's
 * servers register it only on request), and grpc-js would otherwise track every call and socket
 * on the event loop (about 1% of sentry's CPU per signed certificate).
 */
export function controlPlaneGrpcServer(options: ServerOptions = {}): Server {
  return new Server({ ...options, 'grpc.enable_channelz': 0 });
}

/** `--listen-address` + port as grpc-js binds it: empty means every interface; IPv6 bracketed. */
export function grpcBindAddress(listenAddress: string, port: number): string {
  const host =
    listenAddress === '' ? '[::]' : listenAddress.includes(':') ? `[${listenAddress}]` : listenAddress;
  return `${host}:${port}`;
}

/** Binds the server and resolves with the port it got (port 0 picks a free one). */
export function bindGrpcServer(
  server: Server,
  address: string,
  credentials: ServerCredentials,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

/** tryShutdown, then forceShutdown once `graceMs` has passed; resolves when the server is down. */
export function shutdownGrpcServer(server: Server, graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
