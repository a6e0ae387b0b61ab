// From argv to a validated, typed Options object: the flag table gives the raw values, a zod
// schema (built per service from the table plus its rules) checks them and shapes the result.
// Every violated rule is reported at once. Pure: the caller prints and exits.
import { z } from 'zod';
import { resolveCommandLine } from './flag-usage.js';
import type { FlagDialect, FlagKind, FlagTable, FlagValues } from './flags.js';
import { formatGoDuration, parseGoInt } from './go-values.js';
import { parseLogLevel } from './logger.js';

type ZodFor<K extends FlagKind> = K extends 'string'
  ? z.ZodString
  : K extends 'bool'
    ? z.ZodBoolean
    : K extends 'stringSlice'
      ? z.ZodArray<z.ZodString>
      : z.ZodNumber;

export type FlagsShape<T extends FlagTable> = { -readonly [N in keyof T]: ZodFor<T[N]['kind']> };

function zodFor(kind: FlagKind): z.ZodType {
  switch (kind) {
    case 'string':
      return z.string();
    case 'bool':
      return z.boolean();
    case 'stringSlice':
      return z.array(z.string());
    case 'int':
    case 'float':
    case 'duration':
      return z.number();
  }
}

/** The base schema of a flag table: one field per flag with the type its kind parses to. */
export function flagsSchema<T extends FlagTable>(table: T): z.ZodObject<FlagsShape<T>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, def] of Object.entries(table)) shape[name] = zodFor(def.kind);
  return z.object(shape) as unknown as z.ZodObject<FlagsShape<T>>;
}

/** --log-level: the five names, any case; the message is the one upstream prints. */
export const logLevelRule = z.string().transform((text, ctx) => {
  const level = parseLogLevel(text);
  if (level === undefined) {
    ctx.addIssue({ code: 'custom', message: `invalid value for --log-level: ${text}` });
    return z.NEVER;
  }
  return level;
});

/** A TCP port number (0 allowed: it asks the kernel for a free one, which tests use). */
export function portRule(flag: string): z.ZodNumber {
  return z
    .number()
    .int()
    .min(0, { message: `invalid value for --${flag}: must be between 0 and 65535` })
    .max(65535, { message: `invalid value for --${flag}: must be between 0 and 65535` });
}

/** A port given as a string flag (--metrics-port), parsed to an integer at startup. */
export function portTextRule(flag: string): z.ZodType<number, string> {
  return z.string().transform((text, ctx) => {
    let port: number | undefined;
    try {
      port = parseGoInt(text.trim());
    } catch {
      port = undefined;
    }
    if (port === undefined || port < 0 || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `invalid value for --${flag}: "${text}" is not a valid port number`,
      });
      return z.NEVER;
    }
    return port;
  });
}

/** A duration within [min, max], in milliseconds, reported in Go's duration syntax. */
export function durationBetweenRule(flag: string, minMs: number, maxMs: number): z.ZodNumber {
  return z.number().refine((ms) => ms >= minMs && ms <= maxMs, {
    error: (issue) =>
      `invalid value for ${flag}: value should be between ${formatGoDuration(minMs)} and ` +
      `${formatGoDuration(maxMs)}, got ${formatGoDuration(issue.input as number)}`,
  });
}

export type OptionsOutcome<O> =
  /** Start the service. `stderr` carries deprecation notices, possibly empty. */
  | { readonly kind: 'run'; readonly options: O; readonly stderr: string }
  /** Help (0) or a usage error (2): print `stderr` and exit. */
  | { readonly kind: 'exit'; readonly code: 0 | 2; readonly stderr: string }
  /** Flags parsed but their values are invalid: a fatal configuration error (exit 1). */
  | { readonly kind: 'invalid'; readonly message: string; readonly stderr: string };

export interface ParsedFlags<T extends FlagTable> {
  readonly values: FlagValues<T>;
  /** Flags given explicitly, for rules that depend on presence rather than value. */
  readonly changed: ReadonlySet<string>;
}

export interface OptionsSpec<T extends FlagTable, O> {
  readonly program: string;
  readonly flags: T;
  readonly dialect?: FlagDialect;
  /** Validates and shapes the parsed flags (the schema may close over env and `changed`). */
  readonly schema: (parsed: ParsedFlags<T>) => z.ZodType<O>;
}

export function resolveOptions<T extends FlagTable, O>(
  spec: OptionsSpec<T, O>,
  argv: readonly string[],
): OptionsOutcome<O> {
  const line = resolveCommandLine(spec.program, spec.flags, argv, spec.dialect);
  if (line.kind === 'exit') return line;
  const result = spec.schema({ values: line.values, changed: line.changed }).safeParse(line.values);
  if (result.success) return { kind: 'run', options: result.data, stderr: line.stderr };
  const message = result.error.issues.map((issue) => issue.message).join('; ');
  return { kind: 'invalid', message, stderr: line.stderr };
}
