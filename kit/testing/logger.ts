// A Logger for unit tests: keeps every line in memory (level and message) instead of writing to
// stdout, so tests stay quiet and can assert what was logged.
import type { LogFields, Logger, LogLevel } from '../logger.js';

export interface RecordingLogger extends Logger {
  readonly lines: { readonly level: LogLevel; readonly msg: string; readonly fields?: LogFields }[];
}

export function recordingLogger(scope = 'test'): RecordingLogger {
  const lines: RecordingLogger['lines'] = [];
  const at =
    (level: LogLevel) =>
    (a: LogFields | string, b?: string): void => {
      if (typeof a === 'string') lines.push({ level, msg: a });
      else lines.push({ level, msg: b ?? '', fields: a });
    };
  return {
    scope,
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    isLevelEnabled: () => true,
  };
}
