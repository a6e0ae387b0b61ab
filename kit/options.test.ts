// From argv to validated options: the shared rules and the outcome kinds.
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { COMMON_FLAGS, COMMON_RULES, commonOptions, type CommonOptions } from './common-flags.js';
import { defineFlags } from './flags.js';
import { durationBetweenRule, flagsSchema, resolveOptions, type OptionsOutcome } from './options.js';

const FLAGS = defineFlags({
  'keepalive-time': { kind: 'duration', default: 2_000, usage: 'ping interval' },
  ...COMMON_FLAGS,
});

interface TestOptions extends CommonOptions {
  readonly keepaliveMs: number;
}

function parse(argv: string[]): OptionsOutcome<TestOptions> {
  return resolveOptions(
    {
      program: 'test',
      flags: FLAGS,
      schema: (): z.ZodType<TestOptions> =>
        flagsSchema(FLAGS)
          .extend({ ...COMMON_RULES, 'keepalive-time': durationBetweenRule('keepalive-time', 1_000, 10_000) })
          .transform((v) => ({ ...commonOptions(v), keepaliveMs: v['keepalive-time'] })),
    },
    argv,
  );
}

describe('resolveOptions with the common flags', () => {
  it('gives upstream defaults: info, text, stdout, metrics on 9090, healthz 8080', () => {
    expect(parse([])).toEqual({
      kind: 'run',
      stderr: '',
      options: {
        logging: { level: 'info', json: false, file: '' },
        metrics: { enabled: true, port: 9090, listenAddress: '0.0.0.0' },
        healthzPort: 8080,
        keepaliveMs: 2_000,
      },
    });
  });

  it.each([
    ['DEBUG', 'debug'],
    ['Warn', 'warn'],
    ['fatal', 'fatal'],
  ])('accepts --log-level %s case-insensitively', (text, level) => {
    const outcome = parse(['--log-level', text]);
    expect(outcome.kind === 'run' && outcome.options.logging.level).toBe(level);
  });

  it.each([
    ['an unknown log level', ['--log-level=bogus'], 'invalid value for --log-level: bogus'],
    ['a non-numeric metrics port', ['--metrics-port', 'abc'], 'invalid value for --metrics-port: "abc"'],
    [
      'an out-of-range metrics port',
      ['--metrics-port', '70000'],
      'invalid value for --metrics-port: "70000"',
    ],
    ['an out-of-range healthz port', ['--healthz-port', '-1'], 'invalid value for --healthz-port'],
    [
      'a duration below its range',
      ['--keepalive-time', '500ms'],
      'invalid value for keepalive-time: value should be between 1s and 10s, got 500ms',
    ],
  ])('reports %s as invalid (exit 1)', (_name, argv, message) => {
    const outcome = parse(argv);
    expect(outcome.kind).toBe('invalid');
    expect(outcome.kind === 'invalid' && outcome.message).toContain(message);
  });

  it('reports every violation at once', () => {
    const outcome = parse(['--log-level=x', '--metrics-port=y']);
    expect(outcome.kind === 'invalid' && outcome.message.split('; ')).toHaveLength(2);
  });

  it('parses a metrics port given as a string, and turns metrics off with =false', () => {
    const outcome = parse(['--metrics-port', '9191', '--enable-metrics=false', '--log-as-json']);
    expect(outcome.kind === 'run' && outcome.options.metrics).toEqual({
      enabled: false,
      port: 9191,
      listenAddress: '0.0.0.0',
    });
    expect(outcome.kind === 'run' && outcome.options.logging.json).toBe(true);
  });

  it('passes help and usage errors through as exits 0 and 2', () => {
    expect(parse(['-h'])).toMatchObject({ kind: 'exit', code: 0 });
    expect(parse(['--nope'])).toMatchObject({ kind: 'exit', code: 2 });
  });
});
