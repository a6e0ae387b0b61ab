// `npm run test:upstream -- <suite>... [--ours-only] [--focus <regex>] [--record]`
//
// Runs Dapr's own integration suites (sentry, placement, operator, injector) with our binaries
// and, in the same run, with upstream's Go binaries as the baseline, one process per case, and
// prints a table of every case per suite. Exits 1 when a case recorded as passing in
// test/upstream/passing.json fails with ours (a regression); --record rewrites that list from
// this run. Logs of failed cases are kept under the test cache (the path is printed).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from '../deps/paths.js';
import { exclusionOf, isSuite, listCases, SUITES, type Suite } from './cases.js';
import {
  buildSuites,
  prepareEnvironment,
  runCase,
  type CaseResult,
  type Environment,
  type Flavour,
} from './runner.js';

export interface Args {
  suites: Suite[];
  oursOnly: boolean;
  focus?: RegExp;
  record: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { suites: [], oursOnly: false, record: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--ours-only') args.oursOnly = true;
    else if (arg === '--record') args.record = true;
    else if (arg === '--focus') args.focus = new RegExp(argv[++i] ?? '');
    else if (isSuite(arg)) args.suites.push(arg);
    else
      throw new Error(
        `unknown argument '${arg}' (suites: ${SUITES.join(', ')}; flags: --ours-only, --focus <regex>, --record)`,
      );
  }
  if (args.suites.length === 0) args.suites = [...SUITES];
  return args;
}

export const PASSING_FILE = join(repoRoot, 'test', 'upstream', 'passing.json');

/** Cases recorded as passing with our binaries, per suite. */
export function recordedPassing(): Record<string, string[]> {
  return JSON.parse(readFileSync(PASSING_FILE, 'utf8')) as Record<string, string[]>;
}

const mark = (r: CaseResult | undefined): string => (r === undefined ? '-' : r.passed ? 'pass' : 'FAIL');
const secs = (r: CaseResult | undefined): string =>
  r === undefined ? '' : `${(r.durationMs / 1000).toFixed(1)}s`;

export interface SuiteOutcome {
  readonly suite: Suite;
  readonly rows: { name: string; excluded?: string; ours?: CaseResult; upstream?: CaseResult }[];
  readonly wallMs: number;
}

async function runSuite(
  environment: Environment,
  suite: Suite,
  args: Args,
  logDir: string,
): Promise<SuiteOutcome> {
  const started = Date.now();
  const rows: SuiteOutcome['rows'] = [];
  const flavours: Flavour[] = args.oursOnly ? ['ours'] : ['ours', 'upstream'];
  for (const name of listCases(environment.moduleDir, suite)) {
    if (args.focus && !args.focus.test(name)) continue;
    const excluded = exclusionOf(name);
    if (excluded !== undefined) {
      rows.push({ name, excluded });
      continue;
    }
    const row: SuiteOutcome['rows'][number] = { name };
    for (const flavour of flavours) {
      const result = await runCase(environment, name, flavour);
      row[flavour] = result;
      if (!result.passed) {
        const file = join(logDir, `${name.replaceAll('/', '_')}.${flavour}.log`);
        writeFileSync(file, result.output);
      }
      process.stderr.write(`[upstream-suites] ${name} (${flavour}): ${mark(result)} in ${secs(result)}\n`);
    }
    rows.push(row);
  }
  return { suite, rows, wallMs: Date.now() - started };
}

function printTable(outcome: SuiteOutcome): void {
  const run = outcome.rows.filter((r) => r.excluded === undefined);
  const count = (f: Flavour): number => run.filter((r) => r[f]?.passed).length;
  const width = Math.max(...outcome.rows.map((r) => r.name.length), 4);
  const lines = [
    `\n${outcome.suite}: ours ${count('ours')}/${run.length}, upstream ${count('upstream')}/${run.length}` +
      ` (excluded ${outcome.rows.length - run.length}; wall time ${(outcome.wallMs / 1000).toFixed(0)} s)`,
    `${'case'.padEnd(width)}  ours  upstream  ours-time`,
    ...outcome.rows.map((r) =>
      r.excluded !== undefined
        ? `${r.name.padEnd(width)}  excluded: ${r.excluded}`
        : `${r.name.padEnd(width)}  ${mark(r.ours).padEnd(4)}  ${mark(r.upstream).padEnd(8)}  ${secs(r.ours)}`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export interface RunOutcome {
  readonly outcomes: readonly SuiteOutcome[];
  /** Cases recorded as passing that failed with ours in this run. */
  readonly regressions: readonly string[];
  /** The recorded list (rewritten from this run with `record`). */
  readonly passing: Readonly<Record<string, string[]>>;
}

/** Builds (cached), runs the suites, prints their tables; with `record`, rewrites passing.json. */
export async function runSuites(args: Args): Promise<RunOutcome> {
  const environment = prepareEnvironment(buildSuites());
  const logDir = join(cacheDir, 'logs', 'upstream-suites');
  mkdirSync(logDir, { recursive: true });
  const outcomes: SuiteOutcome[] = [];
  try {
    for (const suite of args.suites) {
      const outcome = await runSuite(environment, suite, args, logDir);
      printTable(outcome);
      outcomes.push(outcome);
    }
  } finally {
    environment.dispose();
  }
  const passing = recordedPassing();
  if (args.record) {
    for (const o of outcomes) passing[o.suite] = o.rows.filter((r) => r.ours?.passed).map((r) => r.name);
    writeFileSync(PASSING_FILE, `${JSON.stringify(passing, null, 2)}\n`);
    process.stdout.write(`recorded the passing cases in ${PASSING_FILE}\n`);
  }
  const regressions = outcomes.flatMap((o) =>
    o.rows
      .filter((r) => r.ours !== undefined && !r.ours.passed && (passing[o.suite] ?? []).includes(r.name))
      .map((r) => r.name),
  );
  process.stdout.write(`logs of failed cases: ${logDir}\n`);
  return { outcomes, regressions, passing };
}

export async function main(argv: readonly string[]): Promise<number> {
  const { regressions } = await runSuites(parseArgs(argv));
  if (regressions.length > 0) {
    process.stdout.write(`REGRESSION: recorded as passing, failed now: ${regressions.join(', ')}\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
