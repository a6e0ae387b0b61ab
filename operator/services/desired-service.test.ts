import { describe, expect, it } from '@jest/globals';
import {
  desiredService,
  int32Annotation,
  isDaprEnabled,
  metricsEnabled,
  parseExtraAnnotations,
  serviceNameFor,
  type DaprWorkload,
  type DesiredServiceResult,
} from './desired-service.js';

function deployment(annotations: Record<string, string>): DaprWorkload {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    namespace: 'shop',
    name: 'cart',
    uid: 'uid-1',
    matchLabels: { app: 'cart' },
    annotations: { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'cart', ...annotations },
  };
}

function ok(workload: DaprWorkload): DesiredServiceResult {
  const result = desiredService(workload);
  if ('error' in result) throw new Error(result.error);
  return result;
}

describe('the desired <app-id>-dapr Service', () => {
  it('has the upstream shape with default ports and the prometheus annotations', () => {
    expect(ok(deployment({})).service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'cart-dapr',
        namespace: 'shop',
        labels: { 'dapr.io/enabled': 'true' },
        annotations: {
          'dapr.io/app-id': 'cart',
          'prometheus.io/probe': 'true',
          'prometheus.io/scrape': 'true',
          'prometheus.io/port': '9090',
          'prometheus.io/path': '/',
        },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: 'cart',
            uid: 'uid-1',
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        selector: { app: 'cart' },
        ports: [
          { name: 'dapr-http', protocol: 'TCP', port: 80, targetPort: 3500 },
          { name: 'dapr-grpc', protocol: 'TCP', port: 50001, targetPort: 50001 },
          { name: 'dapr-internal', protocol: 'TCP', port: 50002, targetPort: 50002 },
          { name: 'dapr-metrics', protocol: 'TCP', port: 9090, targetPort: 9090 },
        ],
        clusterIP: 'None',
      },
    });
  });

  it('takes the gRPC, internal and metrics ports from annotations, but never the HTTP port', () => {
    const { service } = ok(
      deployment({
        'dapr.io/grpc-port': '6001',
        'dapr.io/internal-grpc-port': '6002',
        'dapr.io/metrics-port': '6003',
        'dapr.io/http-port': '6004',
      }),
    );
    expect(service.spec.ports.map((p) => [p.name, p.port, p.targetPort])).toEqual([
      ['dapr-http', 80, 3500],
      ['dapr-grpc', 6001, 6001],
      ['dapr-internal', 6002, 6002],
      ['dapr-metrics', 6003, 6003],
    ]);
    expect(service.metadata.annotations['prometheus.io/port']).toBe('6003');
  });

  it('drops the prometheus annotations when metrics are disabled but keeps the metrics port', () => {
    const { service } = ok(deployment({ 'dapr.io/enable-metrics': 'false' }));
    expect(service.metadata.annotations).toEqual({ 'dapr.io/app-id': 'cart' });
    expect(service.spec.ports.at(-1)).toEqual({
      name: 'dapr-metrics',
      protocol: 'TCP',
      port: 9090,
      targetPort: 9090,
    });
  });

  it('adds user extras and ignores the keys the operator sets (and repeated extras after the first)', () => {
    const result = ok(
      deployment({
        'dapr.io/sidecar-svc-annotations':
          ' team = payments ,prometheus.io/port=1,dapr.io/app-id=x, novalue, =empty,team=second,a=b=c',
      }),
    );
    expect(result.service.metadata.annotations).toEqual({
      'dapr.io/app-id': 'cart',
      'prometheus.io/probe': 'true',
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9090',
      'prometheus.io/path': '/',
      team: 'payments',
      a: 'b=c',
    });
    expect(result.ignoredKeys).toEqual(['prometheus.io/port', 'dapr.io/app-id', 'team']);
  });

  it('lets extras use the prometheus keys when metrics are off', () => {
    const { service } = ok(
      deployment({
        'dapr.io/enable-metrics': 'no',
        'dapr.io/sidecar-svc-annotations': 'prometheus.io/scrape=false',
      }),
    );
    expect(service.metadata.annotations).toEqual({
      'dapr.io/app-id': 'cart',
      'prometheus.io/scrape': 'false',
    });
  });

  it('refuses a missing app id (no fallback to the workload name) and one that is not a DNS label', () => {
    expect(desiredService({ ...deployment({}), annotations: { 'dapr.io/enabled': 'true' } })).toEqual({
      error: 'dapr.io/app-id annotation is empty',
    });
    expect('error' in desiredService(deployment({ 'dapr.io/app-id': 'Cart' }))).toBe(true);
    expect('error' in desiredService(deployment({ 'dapr.io/app-id': 'a.b' }))).toBe(true);
    expect('error' in desiredService(deployment({ 'dapr.io/app-id': 'x'.repeat(59) }))).toBe(true);
    expect(serviceNameFor('x'.repeat(58))).toEqual({ name: `${'x'.repeat(58)}-dapr` });
  });
});

describe('annotation values as upstream reads them', () => {
  it('treats y, yes, true, t, on and 1 as truthy, trimmed and in any case', () => {
    for (const v of ['y', 'YES', ' true ', 'T', 'on', '1'])
      expect(isDaprEnabled({ 'dapr.io/enabled': v })).toBe(true);
    for (const v of ['', 'false', '0', 'enabled', 'nope'])
      expect(isDaprEnabled({ 'dapr.io/enabled': v })).toBe(false);
    expect(isDaprEnabled(undefined)).toBe(false);
  });

  it('parses base-10 int32 ports and falls back to the default on anything else', () => {
    expect(int32Annotation('7000', 1)).toBe(7000);
    expect(int32Annotation('+7000', 1)).toBe(7000);
    expect(int32Annotation('', 1)).toBe(1);
    expect(int32Annotation('0x10', 1)).toBe(1);
    expect(int32Annotation('70 00', 1)).toBe(1);
    expect(int32Annotation('2147483648', 1)).toBe(1);
    expect(int32Annotation(undefined, 1)).toBe(1);
  });

  it('keeps metrics on when the annotation is absent or empty', () => {
    expect(metricsEnabled({})).toBe(true);
    expect(metricsEnabled({ 'dapr.io/enable-metrics': '' })).toBe(true);
    expect(metricsEnabled({ 'dapr.io/enable-metrics': 'off' })).toBe(false);
  });

  it('splits extras at the first = and skips pairs without a key or =', () => {
    expect(parseExtraAnnotations('a=1, b = 2 ,c,=d,e=f=g')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['e', 'f=g'],
    ]);
  });
});
