// Usage text and exit codes, as Go's flag package with ExitOnError behaves.
import { describe, expect, it } from '@jest/globals';
import { formatUsage, resolveCommandLine } from './flag-usage.js';
import { defineFlags } from './flags.js';

const TABLE = defineFlags({
  port: { kind: 'int', default: 50005, usage: 'the gRPC port' },
  mode: { kind: 'string', default: 'standalone', usage: 'runtime mode' },
  'tls-enabled': { kind: 'bool', default: false, usage: 'serve TLS' },
  'enable-metrics': { kind: 'bool', default: true, usage: 'metrics on' },
  'keepalive-time': { kind: 'duration', default: 2_000, usage: 'ping interval' },
  empty: { kind: 'string', default: '', usage: 'no default shown' },
  secret: { kind: 'int', default: 10, usage: 'hidden one', hidden: true, deprecated: 'going away' },
});

describe('formatUsage', () => {
  it('lists visible flags sorted, with their type and non-zero default, Go style', () => {
    expect(formatUsage('placement', TABLE)).toBe(
      [
        'Usage of placement:',
        '  --empty string',
        '    \tno default shown',
        '  --enable-metrics',
        '    \tmetrics on (default true)',
        '  --keepalive-time duration',
        '    \tping interval (default 2s)',
        '  --mode string',
        '    \truntime mode (default "standalone")',
        '  --port int',
        '    \tthe gRPC port (default 50005)',
        '  --tls-enabled',
        '    \tserve TLS',
        '',
      ].join('\n'),
    );
  });
});

describe('resolveCommandLine', () => {
  it('exits 0 with the usage on --help', () => {
    const line = resolveCommandLine('placement', TABLE, ['--help']);
    expect(line).toMatchObject({ kind: 'exit', code: 0 });
    expect(line.stderr).toMatch(/^Usage of placement:\n/);
  });

  it('exits 2 with the error line then the usage on an unknown flag', () => {
    const line = resolveCommandLine('placement', TABLE, ['--bogus']);
    expect(line).toMatchObject({ kind: 'exit', code: 2 });
    expect(line.stderr).toMatch(/^unknown flag: --bogus\nUsage of placement:\n/);
  });

  it('exits 2 on a bad value', () => {
    const line = resolveCommandLine('operator', TABLE, ['-port=x'], 'goflag');
    expect(line).toMatchObject({ kind: 'exit', code: 2 });
    expect(line.stderr).toMatch(/^invalid value "x" for flag -port: not an integer\n/);
  });

  it('runs with the values and passes deprecation notices on for stderr', () => {
    const line = resolveCommandLine('placement', TABLE, ['--secret', '3', '-tls-enabled']);
    expect(line).toMatchObject({
      kind: 'run',
      values: { secret: 3, 'tls-enabled': true, port: 50005 },
      stderr: 'Flag --secret has been deprecated, going away\n',
    });
  });
});
