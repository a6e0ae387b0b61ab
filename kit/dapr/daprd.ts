// daprd's ports as the injector configures them and the operator's `<app-id>-dapr` Service
// exposes them: the HTTP port is fixed (--dapr-http-port 3500); the others are the defaults of
// the dapr.io/grpc-port, dapr.io/internal-grpc-port and dapr.io/metrics-port annotations.
export const DAPRD_PORTS = {
  http: 3500,
  grpc: 50001,
  internalGrpc: 50002,
  metrics: 9090,
} as const;
