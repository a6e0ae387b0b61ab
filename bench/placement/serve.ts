// Our placement gRPC server alone, plaintext, for the benchmark to run in its own process (so
// its RSS and CPU are its own). Usage: node dist/bench/placement/serve.js <port>
import { PlacementServer } from '../../placement/server/server.js';
import { loopbackServerOptions } from '../../placement/server/testing/loopback.js';

const port = Number(process.argv[2] ?? 0);
const abort = new AbortController();
// The same server the unit tests run, on a fixed port, with a longer shutdown grace.
const server = new PlacementServer(
  loopbackServerOptions({
    port,
    shutdownGraceMs: 1_000,
    onListening: (p) => process.stdout.write(`listening ${p}\n`),
  }),
);
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => abort.abort());
await server.run(abort.signal);
