// Our placement gRPC server alone, plaintext, for the benchmark to run in its own process (so
// its RSS and CPU are its own). Usage: node dist/bench/placement/serve.js <port>
import { ServerCredentials } from '@grpc/grpc-js';
import { PlacementServer } from '../../placement/server/server.js';

const port = Number(process.argv[2] ?? 0);
const abort = new AbortController();
const server = new PlacementServer({
  port,
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
  shutdownGraceMs: 1_000,
  onListening: (p) => process.stdout.write(`listening ${p}\n`),
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => abort.abort());
await server.run(abort.signal);
