// A command-line parser compatible with Go's `flag` and spf13/pflag, driven by a table.
// The Helm chart, the dapr CLI and people's scripts call the Go binaries with every spelling
// Go accepts (-name, --name, -name=value, --name value, bare booleans), so we accept them all.
// Parsing is pure: it returns values or a typed error and never touches the process.
import { ValueError, parseGoBool, parseGoDuration, parseGoFloat, parseGoInt } from './go-values.js';

/** The value kinds upstream flags use; `stringSlice` is pflag's comma-separated, repeatable list. */
export type FlagKind = 'string' | 'int' | 'bool' | 'duration' | 'float' | 'stringSlice';

/** The JavaScript type of a parsed flag. Durations are milliseconds. */
export type FlagValue<K extends FlagKind> = K extends 'string'
  ? string
  : K extends 'bool'
    ? boolean
    : K extends 'stringSlice'
      ? readonly string[]
      : number;

export interface FlagDef<K extends FlagKind = FlagKind> {
  readonly kind: K;
  readonly default: FlagValue<K>;
  readonly usage: string;
  /** Left out of the usage text (still accepted). */
  readonly hidden?: boolean;
  /** When set, using the flag prints `Flag --x has been deprecated, <text>` to stderr. */
  readonly deprecated?: string;
  /** Accepted for compatibility with the chart; the service does not use the value (as upstream). */
  readonly ignored?: boolean;
}

/** One entry per kind, so that `default` must match `kind`. */
export type AnyFlagDef = { [K in FlagKind]: FlagDef<K> }[FlagKind];

/** Flag name (exactly as upstream spells it, e.g. "replicationFactor") → definition. */
export type FlagTable = Readonly<Record<string, AnyFlagDef>>;

export type FlagValues<T extends FlagTable> = { -readonly [N in keyof T]: FlagValue<T[N]['kind']> };

/** A table as declared: literal kinds (so FlagValues is precise), defaults widened to their kind. */
export type DefinedFlags<T extends FlagTable> = { readonly [N in keyof T]: FlagDef<T[N]['kind']> };

/** Checks a table and keeps its names and kinds in the type. */
export function defineFlags<T extends FlagTable>(table: T): DefinedFlags<T> {
  return table;
}

/**
 * `pflag`: flags and positionals may be interleaved; `goflag`: parsing stops at the first
 * positional (Go's flag package, used by the operator). The wording of errors follows each.
 */
export type FlagDialect = 'pflag' | 'goflag';

export type FlagErrorCode = 'unknown-flag' | 'missing-value' | 'bad-value' | 'bad-syntax';

export class FlagError extends Error {
  constructor(
    readonly code: FlagErrorCode,
    readonly flag: string,
    message: string,
  ) {
    super(message);
    this.name = 'FlagError';
  }
}

export type ParseResult<T extends FlagTable> =
  | {
      readonly kind: 'ok';
      readonly values: FlagValues<T>;
      /** Names given on the command line (pflag's Changed), for rules like "set but not enabled". */
      readonly changed: ReadonlySet<keyof T & string>;
      readonly positionals: readonly string[];
      /** Deprecation notices to print on stderr. */
      readonly warnings: readonly string[];
    }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly error: FlagError };

const HELP_NAMES = new Set(['h', 'help']);

function convert(def: AnyFlagDef, text: string, previous: unknown, firstSet: boolean): unknown {
  switch (def.kind) {
    case 'string':
      return text;
    case 'bool':
      return parseGoBool(text);
    case 'int':
      return parseGoInt(text);
    case 'float':
      return parseGoFloat(text);
    case 'duration':
      return parseGoDuration(text);
    case 'stringSlice': {
      // pflag: the first use replaces the default, later uses append.
      const items = text === '' ? [] : text.split(',');
      return firstSet ? items : [...(previous as readonly string[]), ...items];
    }
  }
}

function badValue(dialect: FlagDialect, name: string, text: string, reason: string): FlagError {
  const message =
    dialect === 'pflag'
      ? `invalid argument "${text}" for "--${name}" flag: ${reason}`
      : `invalid value "${text}" for flag -${name}: ${reason}`;
  return new FlagError('bad-value', name, message);
}

/** Mutable state of one parse: the values so far and what the command line said. */
interface ParseState {
  readonly argv: readonly string[];
  readonly dialect: FlagDialect;
  index: number;
  readonly values: Record<string, unknown>;
  readonly changed: Set<string>;
  readonly positionals: string[];
  readonly warnings: string[];
}

/** Splits one flag argument into name and inline value, or says it is not a flag at all. */
function splitFlag(arg: string): { name: string; inline: string | undefined } | 'positional' | 'bad' {
  if (arg.length < 2 || !arg.startsWith('-')) return 'positional';
  const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
  if (body === '' || body.startsWith('-') || body.startsWith('=')) return 'bad';
  const eq = body.indexOf('=');
  return eq < 0 ? { name: body, inline: undefined } : { name: body.slice(0, eq), inline: body.slice(eq + 1) };
}

/** Reads the value for a non-boolean flag: inline, else the next argument whatever it looks like. */
function takeValue(state: ParseState, inline: string | undefined): string | undefined {
  if (inline !== undefined) return inline;
  if (state.index + 1 >= state.argv.length) return undefined;
  state.index += 1;
  return state.argv[state.index];
}

function unknownFlag(dialect: FlagDialect, name: string): FlagError {
  const message = dialect === 'pflag' ? `unknown flag: --${name}` : `flag provided but not defined: -${name}`;
  return new FlagError('unknown-flag', name, message);
}

function missingValue(dialect: FlagDialect, name: string): FlagError {
  const message =
    dialect === 'pflag' ? `flag needs an argument: --${name}` : `flag needs an argument: -${name}`;
  return new FlagError('missing-value', name, message);
}

/** Applies one `-name[=value]` argument (and its separate value, if it takes one). */
function applyFlag(
  table: FlagTable,
  state: ParseState,
  name: string,
  inline: string | undefined,
): FlagError | 'help' | undefined {
  const def = Object.hasOwn(table, name) ? table[name] : undefined;
  if (def === undefined) return HELP_NAMES.has(name) ? 'help' : unknownFlag(state.dialect, name);
  // Booleans never consume the next argument: `--tls-enabled false` leaves "false" positional.
  const text = def.kind === 'bool' && inline === undefined ? 'true' : takeValue(state, inline);
  if (text === undefined) return missingValue(state.dialect, name);
  try {
    state.values[name] = convert(def, text, state.values[name], !state.changed.has(name));
  } catch (err) {
    const reason = err instanceof ValueError ? err.reason : String(err);
    return badValue(state.dialect, name, text, reason);
  }
  state.changed.add(name);
  if (def.deprecated !== undefined)
    state.warnings.push(`Flag --${name} has been deprecated, ${def.deprecated}`);
  return undefined;
}

/** Handles the argument at `state.index`: 'end' stops parsing, a result ends it with that result. */
function step<T extends FlagTable>(table: T, state: ParseState): 'end' | ParseResult<T> | undefined {
  const arg = state.argv[state.index] ?? '';
  const split = arg === '--' ? 'end' : splitFlag(arg);
  if (split === 'end' || (split === 'positional' && state.dialect === 'goflag')) {
    // `--` ends the flags; Go's flag package also stops at the first positional.
    state.positionals.push(...state.argv.slice(state.index + (split === 'end' ? 1 : 0)));
    return 'end';
  }
  if (split === 'positional') {
    state.positionals.push(arg);
    return undefined;
  }
  if (split === 'bad')
    return { kind: 'error', error: new FlagError('bad-syntax', arg, `bad flag syntax: ${arg}`) };
  const outcome = applyFlag(table, state, split.name, split.inline);
  if (outcome === 'help') return { kind: 'help' };
  return outcome === undefined ? undefined : { kind: 'error', error: outcome };
}

/**
 * Parses `argv` (without the program name) against `table`. Single- and double-dash long names
 * are equivalent; booleans never consume the next argument; `--` ends the flags.
 */
export function parseFlags<T extends FlagTable>(
  table: T,
  argv: readonly string[],
  dialect: FlagDialect = 'pflag',
): ParseResult<T> {
  const values: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) values[name] = def.default;
  const state: ParseState = {
    argv,
    dialect,
    index: 0,
    values,
    changed: new Set(),
    positionals: [],
    warnings: [],
  };

  for (; state.index < argv.length; state.index++) {
    const stop = step(table, state);
    if (stop === 'end') break;
    if (stop !== undefined) return stop;
  }
  return {
    kind: 'ok',
    values: values as FlagValues<T>,
    changed: state.changed,
    positionals: state.positionals,
    warnings: state.warnings,
  };
}
