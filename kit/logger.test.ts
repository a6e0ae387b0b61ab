// docs/contracts/observability.md §5: the loggers' levels, fields, formats and redaction.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { configureLogging, logger, parseLogLevel, type LoggingOptions } from './logger.js';
import { DAPR_VERSION } from './version.js';

/** Configures logging into memory and returns the lines written. */
function capture(options: Omit<LoggingOptions, 'output'>): string[] {
  const lines: string[] = [];
  configureLogging({ ...options, output: { write: (line: string) => lines.push(line) } });
  return lines;
}

function records(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

describe('logger', () => {
  afterEach(() => {
    capture({ level: 'info', json: false });
  });

  it('writes Dapr JSON records with exactly the upstream fields', () => {
    const lines = capture({ level: 'info', json: true });
    logger('dapr.sentry').info('Log level set to: info');
    const [record] = records(lines);
    expect(Object.keys(record ?? {})).toEqual(['instance', 'level', 'msg', 'scope', 'time', 'type', 'ver']);
    expect(record).toMatchObject({
      instance: hostname(),
      level: 'info',
      msg: 'Log level set to: info',
      scope: 'dapr.sentry',
      type: 'log',
      ver: DAPR_VERSION,
    });
    expect(String(record?.time)).toMatch(RFC3339_NANO);
    expect(lines[0]?.endsWith('}\n')).toBe(true);
  });

  it.each([
    ['debug', 'debug'],
    ['info', 'info'],
    ['warn', 'warning'],
    ['error', 'error'],
    ['fatal', 'fatal'],
  ] as const)('prints the %s level as "%s"', (method, word) => {
    const lines = capture({ level: 'debug', json: true });
    logger('dapr.test')[method]('x');
    expect(records(lines)[0]?.level).toBe(word);
  });

  it('shows only the configured level and more severe ones', () => {
    const lines = capture({ level: 'warn', json: true });
    const log = logger('dapr.test');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(records(lines).map((r) => r.msg)).toEqual(['w', 'e']);
    expect(log.isLevelEnabled('info')).toBe(false);
  });

  it('takes metadata first and the message second, and keeps extra fields', () => {
    const lines = capture({ level: 'debug', json: true });
    logger('dapr.test').debug({ targets: ['healthz-server'] }, 'targets are unhealthy');
    expect(records(lines)[0]).toMatchObject({ msg: 'targets are unhealthy', targets: ['healthz-server'] });
  });

  it('has no pino pid, hostname or numeric level', () => {
    const lines = capture({ level: 'info', json: true });
    logger('dapr.test').info('x');
    expect(records(lines)[0]).not.toHaveProperty('pid');
    expect(records(lines)[0]).not.toHaveProperty('hostname');
    expect(typeof records(lines)[0]?.level).toBe('string');
  });

  it('redacts secrets passed as metadata', () => {
    const lines = capture({ level: 'info', json: true });
    logger('dapr.test').info(
      { token: 't0k', nested: { password: 'p', csr: 'c' }, key: 'k', id: 'app' },
      'req',
    );
    const record = records(lines)[0];
    expect(record).toMatchObject({ token: '[REDACTED]', key: '[REDACTED]', id: 'app' });
    expect(record?.nested).toEqual({ password: '[REDACTED]', csr: '[REDACTED]' });
  });

  it('logs errors as their message chain', () => {
    const lines = capture({ level: 'info', json: true });
    logger('dapr.test').error({ err: new Error('outer', { cause: new Error('inner') }) }, 'failed');
    expect(records(lines)[0]?.err).toBe('outer: inner');
  });

  it('prints the text format when JSON is off', () => {
    const lines = capture({ level: 'info', json: false });
    logger('dapr.placement').warn('Log level set to: info');
    expect(lines[0]).toMatch(
      new RegExp(
        `^time="[^"]+" level=warning msg="Log level set to: info" instance=${hostname().replace(/\./g, '\\.')} ` +
          `scope=dapr\\.placement type=log ver=${DAPR_VERSION.replace(/\./g, '\\.')}\\n$`,
      ),
    );
  });

  it('appends to --log-file, creating it with mode 0644', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dapr-ts-log-'));
    try {
      const file = join(dir, 'placement.log');
      const created = join(dir, 'new.log');
      writeFileSync(file, 'earlier line\n');
      configureLogging({ level: 'info', json: true, file });
      logger('dapr.placement').info('to the file');
      configureLogging({ level: 'info', json: false, file: created });
      logger('dapr.placement').info('to a new file');
      const [first, second] = readFileSync(file, 'utf8').split('\n');
      expect(first).toBe('earlier line');
      expect(JSON.parse(second ?? '')).toMatchObject({ msg: 'to the file', scope: 'dapr.placement' });
      expect(readFileSync(created, 'utf8')).toContain('msg="to a new file"');
      expect(statSync(created).mode & 0o777).toBe(0o644 & ~process.umask());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes loggers created before configuration follow it', () => {
    const early = logger('dapr.early');
    const lines = capture({ level: 'error', json: true });
    early.info('hidden');
    early.error('shown');
    expect(records(lines).map((r) => r.msg)).toEqual(['shown']);
  });
});

describe('parseLogLevel', () => {
  it.each([
    ['debug', 'debug'],
    ['INFO', 'info'],
    ['Warn', 'warn'],
    ['error', 'error'],
    ['FATAL', 'fatal'],
    ['warning', undefined],
    ['trace', undefined],
    ['bogus', undefined],
    ['', undefined],
  ])('reads %p as %p', (text, level) => {
    expect(parseLogLevel(text)).toBe(level);
  });
});
