// One pino root per process; scoped loggers (`dapr.sentry.ca`) that follow the root when the
// options are applied after startup; Dapr's JSON and text formats on stdout (or --log-file).
// Modules may create their scoped logger at load time, before flags are parsed, exactly like
// upstream's package-level loggers: each call resolves the current root.
import { hostname } from 'node:os';
import pino, { type Logger as PinoLogger } from 'pino';
import { formatJsonLine, formatRfc3339Nano, formatTextLine } from './log-format.js';
import { DAPR_VERSION } from './version.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

/** Accepts the five level names in any case; anything else is undefined (a startup error). */
export function parseLogLevel(text: string): LogLevel | undefined {
  const lower = text.toLowerCase();
  return LOG_LEVELS.find((l) => l === lower);
}

/** Where formatted lines go. Tests pass a collector; the process writes to stdout or a file. */
export interface LogOutput {
  write(line: string): unknown;
}

export interface LoggingOptions {
  readonly level: LogLevel;
  /** --log-as-json. */
  readonly json: boolean;
  /** --log-file: empty or undefined means stdout; else the file is opened for append. */
  readonly file?: string;
  /** Overrides stdout/file (tests). */
  readonly output?: LogOutput;
}

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  readonly scope: string;
  debug(msg: string): void;
  debug(fields: LogFields, msg: string): void;
  info(msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(msg: string): void;
  warn(fields: LogFields, msg: string): void;
  error(msg: string): void;
  error(fields: LogFields, msg: string): void;
  /** Logs at fatal level only: ending the process is the caller's decision (see lifecycle). */
  fatal(msg: string): void;
  fatal(fields: LogFields, msg: string): void;
  isLevelEnabled(level: LogLevel): boolean;
}

/** Field names whose values never reach the logs, at the top level or one level down. */
const SECRET_FIELDS = ['token', 'key', 'csr', 'password'];
const REDACT_PATHS = [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)];

// Wall-clock nanoseconds: Date.now() gives milliseconds only, so the monotonic clock supplies the
// finer digits, re-anchored whenever it drifts from the wall clock (e.g. after an NTP step).
let clockAnchorNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
function nowEpochNs(): bigint {
  const mono = process.hrtime.bigint();
  const wall = BigInt(Date.now()) * 1_000_000n;
  let now = clockAnchorNs + mono;
  if (now - wall >= 2_000_000n || wall - now >= 2_000_000n) {
    clockAnchorNs = wall - mono;
    now = wall;
  }
  return now;
}

/** Errors are logged as their message chain, like Go's `%v`, not as stack dumps. */
function errorText(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const cause = value.cause instanceof Error ? `: ${String(errorText(value.cause))}` : '';
  return `${value.message}${cause}`;
}

/** Receives pino's JSON lines and re-emits them in Dapr's layout (sorted JSON or text). */
function daprSink(json: boolean, out: LogOutput): LogOutput {
  return {
    write(line: string): void {
      const record = JSON.parse(line) as Record<string, unknown>;
      out.write(json ? formatJsonLine(record) : formatTextLine(record));
    },
  };
}

interface OpenedOutput {
  readonly output: LogOutput;
  /** Releases a file we opened; nothing for stdout or an injected output. */
  readonly close: () => void;
}

function openOutput(options: LoggingOptions): OpenedOutput {
  if (options.output !== undefined) return { output: options.output, close: (): void => {} };
  if (options.file === undefined || options.file === '') {
    return { output: pino.destination({ dest: 1, sync: true }), close: (): void => {} };
  }
  // Synchronous so that a fatal line is on disk before the process exits.
  const file = pino.destination({ dest: options.file, sync: true, append: true, mkdir: false });
  return { output: file, close: (): void => file.end() };
}

interface LoggingState {
  readonly root: PinoLogger;
  readonly scoped: Map<string, PinoLogger>;
  readonly close: () => void;
}

function buildState(options: LoggingOptions): LoggingState {
  const { output, close } = openOutput(options);
  const root = pino(
    {
      level: options.level,
      base: { instance: hostname(), type: 'log', ver: DAPR_VERSION },
      messageKey: 'msg',
      timestamp: () => `,"time":"${formatRfc3339Nano(nowEpochNs())}"`,
      formatters: { level: (label) => ({ level: label === 'warn' ? 'warning' : label }) },
      serializers: { err: errorText, error: errorText },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    },
    daprSink(options.json, output),
  );
  return { root, scoped: new Map(), close };
}

/** Before the options are known: plain text, info, stdout (option errors print like this). */
let state: LoggingState = buildState({ level: 'info', json: false });

/**
 * Applies --log-level / --log-as-json / --log-file to every logger of the process. Throws if the
 * log file cannot be opened.
 */
export function configureLogging(options: LoggingOptions): void {
  const next = buildState(options);
  state.close();
  state = next;
}

function pinoFor(scope: string): PinoLogger {
  let child = state.scoped.get(scope);
  if (child === undefined) {
    child = state.root.child({ scope });
    state.scoped.set(scope, child);
  }
  return child;
}

class ScopedLogger implements Logger {
  constructor(readonly scope: string) {}

  #emit(level: LogLevel, a: LogFields | string, b?: string): void {
    const target = pinoFor(this.scope);
    if (typeof a === 'string') target[level](a);
    else target[level](a, b ?? '');
  }

  debug(a: LogFields | string, b?: string): void {
    this.#emit('debug', a, b);
  }
  info(a: LogFields | string, b?: string): void {
    this.#emit('info', a, b);
  }
  warn(a: LogFields | string, b?: string): void {
    this.#emit('warn', a, b);
  }
  error(a: LogFields | string, b?: string): void {
    this.#emit('error', a, b);
  }
  fatal(a: LogFields | string, b?: string): void {
    this.#emit('fatal', a, b);
  }
  isLevelEnabled(level: LogLevel): boolean {
    return pinoFor(this.scope).isLevelEnabled(level);
  }
}

/** A logger named by scope, e.g. `logger('dapr.placement.server')`. */
export function logger(scope: string): Logger {
  return new ScopedLogger(scope);
}
