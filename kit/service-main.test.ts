// The startup sequence every binary shares: exits for help/usage/invalid options, the banner,
// and the Kubernetes root refusal.
import { afterEach, describe, expect, it } from '@jest/globals';
import type { CommonOptions } from './common-flags.js';
import { configureLogging, type LogOutput } from './logger.js';
import type { OptionsOutcome } from './options.js';
import { runParts, startProcess, type ProcessSpec } from './service-main.js';

const lines: Record<string, unknown>[] = [];
const output: LogOutput = { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) };

function options(): CommonOptions {
  return {
    logging: { level: 'debug', json: true, output },
    metrics: { enabled: false, port: 0, listenAddress: '' },
    healthzPort: 0,
  };
}

function spec(outcome: OptionsOutcome<CommonOptions>, kubernetes = false): ProcessSpec<CommonOptions> {
  return {
    mainScope: 'dapr.test',
    title: 'Dapr Test Service',
    resolveOptions: () => outcome,
    kubernetesMode: () => kubernetes,
  };
}

const stderr: string[] = [];
const io = (euid = 1000): { stderr: { write: (t: string) => number }; euid: number } => ({
  stderr: { write: (t: string) => stderr.push(t) },
  euid,
});

describe('startProcess', () => {
  afterEach(() => {
    lines.length = 0;
    stderr.length = 0;
    configureLogging({ level: 'info', json: false });
  });

  it('exits with the code and prints the text for help and usage errors', () => {
    expect(startProcess(spec({ kind: 'exit', code: 2, stderr: 'unknown flag\n' }), [], {}, io())).toEqual({
      kind: 'exit',
      code: 2,
    });
    expect(stderr).toEqual(['unknown flag\n']);
  });

  it('logs invalid options at fatal level and exits 1', () => {
    configureLogging({ level: 'info', json: true, output });
    const started = startProcess(spec({ kind: 'invalid', message: 'bad things', stderr: '' }), [], {}, io());
    expect(started).toEqual({ kind: 'exit', code: 1 });
    expect(lines[0]).toMatchObject({ level: 'fatal', msg: 'bad things', scope: 'dapr.test' });
  });

  it('logs the banner and the log level, then returns a started process', async () => {
    const started = startProcess(
      spec({ kind: 'run', options: options(), stderr: '' }),
      [],
      { DAPR_TS_COMMIT: 'abc' },
      io(),
    );
    expect(started.kind).toBe('started');
    expect(lines.map((l) => l.msg)).toEqual([
      expect.stringMatching(/^Starting Dapr Test Service -- version \S+ -- commit \S+$/),
      'Log level set to: debug',
    ]);
    if (started.kind === 'started') {
      expect(await runParts(started, [{ name: 'x', run: () => Promise.resolve() }])).toBe(0);
    }
  });

  it('refuses root in Kubernetes mode with a fatal line and exit 1', () => {
    const started = startProcess(spec({ kind: 'run', options: options(), stderr: '' }, true), [], {}, io(0));
    expect(started).toEqual({ kind: 'exit', code: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 'fatal', scope: 'dapr.runtime.security' });
  });

  it('returns 1 from runParts when a part fails', async () => {
    const started = startProcess(spec({ kind: 'run', options: options(), stderr: '' }), [], {}, io());
    if (started.kind !== 'started') throw new Error('expected started');
    const code = await runParts(started, [{ name: 'broken', run: () => Promise.reject(new Error('boom')) }]);
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatchObject({ level: 'fatal', msg: 'Fatal error, stopping: broken: boom' });
  });
});
