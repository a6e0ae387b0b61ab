import { describe, expect, it } from '@jest/globals';
import { DAPR_ANNOTATIONS } from '../../kit/dapr/annotations.js';
import { parseAnnotations } from './parse.js';
import { ANNOTATIONS } from './table.js';
import {
  parseDecimal,
  parseEnvFromSecret,
  parseEnvList,
  parseNameList,
  parseVolumeMountList,
  trimAddress,
} from './values.js';

describe('injector §2 the annotation table', () => {
  const keys = Object.values(ANNOTATIONS).map((a) => a.key);

  it('holds exactly the 64 keys honoured in 1.18.3, each once', () => {
    expect(keys).toHaveLength(64);
    expect(new Set(keys).size).toBe(64);
    for (const key of keys) expect(key).toMatch(/^dapr\.io\/[a-z0-9-]+$/);
  });

  it("gives each key the name kit's list gives it; only dapr.io/control-plane is not the injector's", () => {
    const kitNames = Object.keys(DAPR_ANNOTATIONS).filter((name) => name !== 'controlPlane');
    expect(Object.keys(ANNOTATIONS).sort()).toEqual(kitNames.sort());
    for (const [name, spec] of Object.entries(ANNOTATIONS)) {
      expect(spec.key).toBe(DAPR_ANNOTATIONS[name as keyof typeof DAPR_ANNOTATIONS]);
    }
  });

  it.each([
    ['enabled', false],
    ['appPort', 0],
    ['appProtocol', 'http'],
    ['logLevel', 'info'],
    ['enableMetrics', true],
    ['metricsPort', 9090],
    ['debugPort', 40000],
    ['grpcPort', 50001],
    ['internalGrpcPort', 50002],
    ['listenAddresses', '[::1],127.0.0.1'],
    ['livenessDelay', 180],
    ['livenessTimeout', 3],
    ['livenessPeriod', 10],
    ['livenessThreshold', 5],
    ['readinessDelay', 1],
    ['readinessTimeout', 1],
    ['readinessPeriod', 1],
    ['readinessThreshold', 5],
    ['gracefulShutdownSeconds', -1],
    ['appHealthCheckPath', '/healthz'],
    ['appHealthProbeInterval', 5],
    ['appHealthProbeTimeout', 500],
    ['appHealthThreshold', 3],
  ] as const)('default of %s is %p', (name, value) => {
    expect(parseAnnotations({}).values[name]).toBe(value);
  });

  it.each([
    'appId',
    'appMaxConcurrency',
    'httpMaxRequestSize',
    'httpReadBufferSize',
    'blockShutdownDuration',
    'enableApiLogging',
    'appBindingOptionsTimeout',
    'placementHostAddress',
    'actorsDisseminateTimeout',
    'schedulerHostAddress',
    'disableInitEndpoints',
    'enableNativeSidecar',
  ] as const)('optional %s stays unset when the annotation is absent', (name) => {
    expect(parseAnnotations({}).values[name]).toBeUndefined();
  });

  it('marks the legacy keys as deprecated', () => {
    expect(ANNOTATIONS.appSsl.deprecated).toBeDefined();
    expect(ANNOTATIONS.httpMaxRequestSize.deprecated).toBeDefined();
    expect(ANNOTATIONS.httpReadBufferSize.deprecated).toBeDefined();
  });
});

describe('injector §2 parsing rules', () => {
  it.each([
    ['8080', 8080],
    ['-1', -1],
    ['+5', 5],
    ['007', 7],
    ['0x10', undefined],
    ['5e4', undefined],
    ['', undefined],
    [' 1', undefined],
    ['99999999999999999999', undefined],
  ])('decimal %p is %p', (text, expected) => {
    expect(parseDecimal(text)).toBe(expected);
  });

  it('a bad int keeps the default and warns', () => {
    const { values, warnings } = parseAnnotations({ 'dapr.io/app-port': 'eighty', 'dapr.io/grpc-port': 'x' });
    expect(values.appPort).toBe(0);
    expect(values.grpcPort).toBe(50001);
    expect(warnings).toHaveLength(2);
  });

  it('a bad optional int stays unset', () => {
    expect(parseAnnotations({ 'dapr.io/app-max-concurrency': '-' }).values.appMaxConcurrency).toBeUndefined();
  });

  it('a present but empty string is honoured as ""', () => {
    const { values } = parseAnnotations({ 'dapr.io/log-level': '', 'dapr.io/scheduler-host-address': '' });
    expect(values.logLevel).toBe('');
    expect(values.schedulerHostAddress).toBe('');
  });

  it.each([
    [' "host:50005" ', '"host:50005"'],
    ['"host:50005"', 'host:50005'],
    ["'host'", 'host'],
    ['"\' host \'"', 'host'],
    ['""', ''],
    ['  ', ''],
  ])('address %p is trimmed (quotes, then spaces) to %p', (text, expected) => {
    expect(trimAddress(text)).toBe(expected);
  });

  it.each([
    [
      'A=1,B=2',
      [
        ['A', '1'],
        ['B', '2'],
      ],
    ],
    [
      'LIST=a,b,c,NEXT=x',
      [
        ['LIST', 'a,b,c'],
        ['NEXT', 'x'],
      ],
    ],
    ['A=x=y', [['A', 'x=y']]],
    [
      ' A = 1 , B=',
      [
        ['A ', ' 1'],
        ['B', ''],
      ],
    ],
    ['=x', [['', 'x']]],
    ['', []],
    ['novalue', []],
  ])('dapr.io/env %p splits only before NAME=', (text, expected) => {
    expect(parseEnvList(text).map((e) => [e.key, e.value])).toEqual(expected);
  });

  it('dapr.io/env-from-secret: K=secret, K=secret:key, and several ":" dropped but named', () => {
    expect(parseEnvFromSecret('A= s ,B=s2 : k,C=a:b:c')).toEqual([
      { name: 'A', secretKeyRef: { name: 's', key: 's' } },
      { name: 'B', secretKeyRef: { name: 's2', key: 'k' } },
      { name: 'C' },
    ]);
  });

  it('dapr.io/volume-mounts: vol:/path entries, malformed ones warned', () => {
    const { mounts, warnings } = parseVolumeMountList('a:/x, b:/y ,bad,,c:/z:w,d:');
    expect(mounts).toEqual([
      { volume: 'a', path: '/x' },
      { volume: 'b', path: '/y' },
      { volume: 'd', path: '' },
    ]);
    expect(warnings).toHaveLength(2);
  });

  it('name lists are split at commas and not trimmed, as upstream', () => {
    expect(parseNameList(' a, b,,c ')).toEqual([' a', ' b', '', 'c ']);
  });

  it('int32 annotations keep the low 32 bits of an int64, int64 overflow keeps the default', () => {
    expect(parseAnnotations({ 'dapr.io/app-port': '4294967297' }).values.appPort).toBe(1);
    expect(parseAnnotations({ 'dapr.io/app-port': '9223372036854775808' }).values.appPort).toBe(0);
    expect(
      parseAnnotations({ 'dapr.io/graceful-shutdown-seconds': '4294967297' }).values.gracefulShutdownSeconds,
    ).toBe(4294967297);
  });
});
