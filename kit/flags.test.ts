// Every command-line spelling Go's flag package and pflag accept, and their errors.
import { describe, expect, it } from '@jest/globals';
import { defineFlags, parseFlags } from './flags.js';

const TABLE = defineFlags({
  name: { kind: 'string', default: 'dflt', usage: 'a string' },
  port: { kind: 'int', default: 50005, usage: 'an int' },
  verbose: { kind: 'bool', default: false, usage: 'a bool' },
  enabled: { kind: 'bool', default: true, usage: 'a bool on by default' },
  wait: { kind: 'duration', default: 2_000, usage: 'a duration' },
  ratio: { kind: 'float', default: 0.5, usage: 'a float' },
  hosts: { kind: 'stringSlice', default: ['a'], usage: 'a list' },
  replicationFactor: { kind: 'int', default: 100, usage: 'camelCase, as upstream' },
  old: { kind: 'int', default: 0, usage: 'old', hidden: true, deprecated: 'use something else' },
});

function values(argv: string[]): Record<string, unknown> {
  const result = parseFlags(TABLE, argv);
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${result.kind}`);
  return result.values;
}

describe('parseFlags', () => {
  it('returns the defaults when nothing is given', () => {
    expect(values([])).toEqual({
      name: 'dflt',
      port: 50005,
      verbose: false,
      enabled: true,
      wait: 2_000,
      ratio: 0.5,
      hosts: ['a'],
      replicationFactor: 100,
      old: 0,
    });
  });

  it.each([
    ['double dash, separate value', ['--port', '7']],
    ['single dash, separate value', ['-port', '7']],
    ['double dash with =', ['--port=7']],
    ['single dash with =', ['-port=7']],
  ])('reads an int written as %s', (_form, argv) => {
    expect(values(argv).port).toBe(7);
  });

  it.each([
    ['--verbose', true],
    ['-verbose', true],
    ['--verbose=true', true],
    ['--verbose=false', false],
    ['--verbose=1', true],
    ['--verbose=0', false],
    ['--verbose=t', true],
    ['--verbose=f', false],
    ['--verbose=TRUE', true],
    ['--verbose=FALSE', false],
    ['--verbose=True', true],
    ['-verbose=False', false],
  ])('reads the boolean %s as %p', (arg, expected) => {
    expect(values([arg]).verbose).toBe(expected);
  });

  it('turns a default-true boolean off only with =false', () => {
    expect(values(['--enabled=false']).enabled).toBe(false);
    expect(values(['--enabled']).enabled).toBe(true);
  });

  it('never lets a boolean consume the next argument', () => {
    const result = parseFlags(TABLE, ['--verbose', 'false', '--port', '1']);
    expect(result).toMatchObject({ kind: 'ok', positionals: ['false'] });
    expect(result.kind === 'ok' && result.values.verbose).toBe(true);
    expect(result.kind === 'ok' && result.values.port).toBe(1);
  });

  it.each([
    ['2s', 2_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['0', 0],
    ['24h', 86_400_000],
  ])('reads the duration %s as %p ms', (text, ms) => {
    expect(values(['--wait', text]).wait).toBe(ms);
  });

  it('reads a float', () => {
    expect(values(['--ratio=0.25']).ratio).toBe(0.25);
  });

  it('replaces a list default on first use and appends on repeats, splitting commas', () => {
    expect(values(['--hosts', 'x,y', '--hosts=z']).hosts).toEqual(['x', 'y', 'z']);
  });

  it('keeps the camelCase flag name exactly', () => {
    expect(values(['--replicationFactor', '3']).replicationFactor).toBe(3);
  });

  it('lets the last of repeated scalar flags win', () => {
    expect(values(['--name', 'a', '--name', 'b']).name).toBe('b');
  });

  it('takes the next argument as a value even when it starts with a dash', () => {
    expect(values(['--name', '-x']).name).toBe('-x');
  });

  it('accepts an empty value with =', () => {
    expect(values(['--name=']).name).toBe('');
  });

  it('records which flags were given', () => {
    const result = parseFlags(TABLE, ['--name', 'x', '-verbose']);
    expect(result.kind === 'ok' && [...result.changed].sort()).toEqual(['name', 'verbose']);
  });

  it('stops at -- and returns the rest as positionals', () => {
    const result = parseFlags(TABLE, ['--port', '1', '--', '--name', 'x']);
    expect(result).toMatchObject({ kind: 'ok', positionals: ['--name', 'x'] });
    expect(result.kind === 'ok' && result.values.name).toBe('dflt');
  });

  it('keeps parsing after a positional with pflag, and stops with Go flag', () => {
    const pflag = parseFlags(TABLE, ['pos', '--port', '1']);
    expect(pflag.kind === 'ok' && pflag.values.port).toBe(1);
    const goflag = parseFlags(TABLE, ['pos', '--port', '1'], 'goflag');
    expect(goflag).toMatchObject({ kind: 'ok', positionals: ['pos', '--port', '1'] });
  });

  it('warns when a deprecated flag is used', () => {
    const result = parseFlags(TABLE, ['--old', '3']);
    expect(result).toMatchObject({
      kind: 'ok',
      warnings: ['Flag --old has been deprecated, use something else'],
    });
  });

  it.each([['-h'], ['--help'], ['-help']])('asks for help on %s', (arg) => {
    expect(parseFlags(TABLE, ['--port', '1', arg])).toEqual({ kind: 'help' });
  });

  it.each([
    {
      name: 'an unknown flag (pflag)',
      argv: ['--nope'],
      dialect: 'pflag',
      code: 'unknown-flag',
      message: 'unknown flag: --nope',
    },
    {
      name: 'an unknown flag (Go flag)',
      argv: ['-nope'],
      dialect: 'goflag',
      code: 'unknown-flag',
      message: 'flag provided but not defined: -nope',
    },
    {
      name: 'a bad int',
      argv: ['--port', 'abc'],
      dialect: 'pflag',
      code: 'bad-value',
      message: 'invalid argument "abc" for "--port" flag: not an integer',
    },
    {
      name: 'a bad int (Go flag)',
      argv: ['-port=x'],
      dialect: 'goflag',
      code: 'bad-value',
      message: 'invalid value "x" for flag -port: not an integer',
    },
    {
      name: 'a bad boolean',
      argv: ['--verbose=yes'],
      dialect: 'pflag',
      code: 'bad-value',
      message: 'invalid argument "yes" for "--verbose" flag',
    },
    {
      name: 'a bad duration',
      argv: ['--wait', '10'],
      dialect: 'pflag',
      code: 'bad-value',
      message: 'missing unit in duration',
    },
    {
      name: 'a missing value',
      argv: ['--port'],
      dialect: 'pflag',
      code: 'missing-value',
      message: 'flag needs an argument: --port',
    },
    {
      name: 'three dashes',
      argv: ['---port', '1'],
      dialect: 'pflag',
      code: 'bad-syntax',
      message: 'bad flag syntax: ---port',
    },
    {
      name: 'a flag named "="',
      argv: ['--=1'],
      dialect: 'pflag',
      code: 'bad-syntax',
      message: 'bad flag syntax: --=1',
    },
  ] as const)('rejects $name', ({ argv, dialect, code, message }) => {
    const result = parseFlags(TABLE, argv, dialect);
    expect(result.kind).toBe('error');
    if (result.kind !== 'error') return;
    expect(result.error.code).toBe(code);
    expect(result.error.message).toContain(message);
  });

  it('treats a lone dash as a positional', () => {
    expect(parseFlags(TABLE, ['-'])).toMatchObject({ kind: 'ok', positionals: ['-'] });
  });
});
