import { describe, expect, it } from '@jest/globals';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { bindGrpcServer, grpcBindAddress, shutdownGrpcServer } from './grpc-serve.js';

describe('grpcBindAddress', () => {
  it.each([
    ['', 50005, '[::]:50005'],
    ['127.0.0.1', 6500, '127.0.0.1:6500'],
    ['::1', 0, '[::1]:0'],
  ])('%j with port %d binds %s', (listen, port, want) => {
    expect(grpcBindAddress(listen, port)).toBe(want);
  });
});

describe('bindGrpcServer and shutdownGrpcServer', () => {
  it('binds a free port and stops promptly when nothing is in flight', async () => {
    const server = new Server();
    const port = await bindGrpcServer(server, '127.0.0.1:0', ServerCredentials.createInsecure());
    expect(port).toBeGreaterThan(0);
    const t0 = Date.now();
    await shutdownGrpcServer(server, 5_000);
    expect(Date.now() - t0).toBeLessThan(1_000);
  });

  it('rejects a bind that cannot succeed', async () => {
    const server = new Server();
    await expect(
      bindGrpcServer(server, '203.0.113.1:1', ServerCredentials.createInsecure()),
    ).rejects.toThrow();
    server.forceShutdown();
  });
});
