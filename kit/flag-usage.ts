// The user-facing side of flag parsing: the usage text and what the process should do with a
// parse result (run, or print and exit 0 for help / 2 for a usage error, as Go's flag package
// does with ExitOnError). Still pure: the caller writes `stderr` and exits.
import { formatGoDuration } from './go-values.js';
import { parseFlags, type AnyFlagDef, type FlagDialect, type FlagTable, type FlagValues } from './flags.js';

const TYPE_NAMES: Readonly<Record<AnyFlagDef['kind'], string>> = {
  string: 'string',
  int: 'int',
  bool: '',
  duration: 'duration',
  float: 'float',
  stringSlice: 'strings',
};

/** The "(default …)" suffix; like Go, zero values are not shown. */
function defaultSuffix(def: AnyFlagDef): string {
  switch (def.kind) {
    case 'string':
      return def.default === '' ? '' : ` (default "${def.default}")`;
    case 'bool':
      return def.default ? ' (default true)' : '';
    case 'int':
    case 'float':
      return def.default === 0 ? '' : ` (default ${def.default})`;
    case 'duration':
      return def.default === 0 ? '' : ` (default ${formatGoDuration(def.default)})`;
    case 'stringSlice':
      return def.default.length === 0 ? '' : ` (default [${def.default.join(',')}])`;
  }
}

/** Go-style usage: `Usage of <prog>:` then each visible flag, sorted, with type and default. */
export function formatUsage(program: string, table: FlagTable): string {
  const lines = [`Usage of ${program}:`];
  const names = Object.keys(table).sort();
  for (const name of names) {
    const def = table[name];
    if (def === undefined || def.hidden === true) continue;
    const type = TYPE_NAMES[def.kind];
    lines.push(`  --${name}${type === '' ? '' : ` ${type}`}`);
    const usage = def.usage.replaceAll('\n', '\n    \t');
    lines.push(`    \t${usage}${defaultSuffix(def)}`);
  }
  return `${lines.join('\n')}\n`;
}

export type CommandLine<T extends FlagTable> =
  | {
      readonly kind: 'run';
      readonly values: FlagValues<T>;
      readonly changed: ReadonlySet<keyof T & string>;
      readonly positionals: readonly string[];
      /** Text for stderr before running (deprecation notices), possibly empty. */
      readonly stderr: string;
    }
  | { readonly kind: 'exit'; readonly code: 0 | 2; readonly stderr: string };

/** Parses argv and decides: run with these values, or print `stderr` and exit with `code`. */
export function resolveCommandLine<T extends FlagTable>(
  program: string,
  table: T,
  argv: readonly string[],
  dialect: FlagDialect = 'pflag',
): CommandLine<T> {
  const result = parseFlags(table, argv, dialect);
  switch (result.kind) {
    case 'help':
      return { kind: 'exit', code: 0, stderr: formatUsage(program, table) };
    case 'error':
      return { kind: 'exit', code: 2, stderr: `${result.error.message}\n${formatUsage(program, table)}` };
    case 'ok':
      return {
        kind: 'run',
        values: result.values,
        changed: result.changed,
        positionals: result.positionals,
        stderr: result.warnings.map((w) => `${w}\n`).join(''),
      };
  }
}
