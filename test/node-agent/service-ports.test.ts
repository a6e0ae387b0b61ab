import { describe, expect, it } from '@jest/globals';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { forwarderArgs, portPlanFor } from './service-ports.js';

const svc = (name: string, ports: Array<{ name?: string; port: number }>): V1Service => ({
  metadata: { namespace: 'sys', name },
  spec: { ports: ports.map((p) => ({ ...p, protocol: 'TCP' })) },
});
const slice = (
  svcName: string,
  ips: string[],
  ports: Array<{ name?: string; port: number }>,
): V1EndpointSlice => ({
  metadata: { namespace: 'sys', name: `${svcName}-x`, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints: ips.map((ip) => ({ addresses: [ip] })),
  ports: ports.map((p) => ({ ...p, protocol: 'TCP' })),
});

describe('portPlanFor', () => {
  const services = [
    svc('dapr-webhook', [{ port: 443 }]),
    svc('dapr-api', [
      { name: 'grpc', port: 443 },
      { name: 'legacy', port: 80 },
      { name: 'metrics', port: 9090 },
    ]),
    svc('other', [{ port: 8080 }]),
  ];
  const slices = [
    slice(
      'dapr-api',
      ['198.18.1.5'],
      [
        { name: 'grpc', port: 6500 },
        { name: 'legacy', port: 6500 },
        { name: 'metrics', port: 9090 },
      ],
    ),
    slice('dapr-webhook', ['198.18.1.5'], [{ port: 19443 }]),
    slice('other', ['198.18.1.9'], [{ port: 9000 }]),
  ];

  it('forwards Service ports that differ from their target, first Service by name winning a port', () => {
    const plan = portPlanFor('198.18.1.5', services, slices);
    expect(plan.mappings).toEqual([
      { listenPort: 80, targetPort: 6500, service: 'sys/dapr-api:legacy' },
      { listenPort: 443, targetPort: 6500, service: 'sys/dapr-api:grpc' },
    ]);
    expect(plan.conflicts).toEqual(['port 443: sys/dapr-webhook: → 19443 loses to sys/dapr-api:grpc → 6500']);
    expect(forwarderArgs(plan)).toEqual(['80=6500', '443=6500']);
  });

  it('plans nothing for a pod that no Service selects', () => {
    expect(portPlanFor('198.18.1.77', services, slices)).toEqual({ mappings: [], conflicts: [] });
  });
});
