// The all-in-one command line (docs/all-in-one.md): the process's own flags first, then one
// group per service, introduced by its name and parsed by that service's own parser:
//   all-in-one [common flags] sentry [sentry flags] placement [...] operator [...] injector [...]
// A group may be left out (its service runs with its defaults) but not given twice. The process
// has one /healthz, one metrics exporter, one log setup and one apiserver client, so their flags
// belong before the first group and are refused inside one rather than silently ignored.
import { COMMON_FLAGS, COMMON_RULES, commonOptions, type CommonOptions } from '../kit/common-flags.js';
import { defineFlags } from '../kit/flags.js';
import { flagsSchema, resolveOptions, type OptionsOutcome } from '../kit/options.js';
import { parseOptions as parseInjectorOptions, type InjectorOptions } from '../sidecar-injector/options.js';
import { parseOptions as parseOperatorOptions, type OperatorOptions } from '../operator/options.js';
import { parseOptions as parsePlacementOptions, type PlacementOptions } from '../placement/options.js';
import { parseOptions as parseSentryOptions, type SentryOptions } from '../sentry/options.js';

export const ALL_IN_ONE_FLAGS = defineFlags({
  kubeconfig: {
    kind: 'string',
    default: '',
    usage: 'Path to a kubeconfig, shared by all four services. Only required if out-of-cluster',
  },
  ...COMMON_FLAGS,
});

/** The group names, in the order the usage lists them. */
export const SERVICE_NAMES = ['sentry', 'placement', 'operator', 'injector'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface AllInOneOptions extends CommonOptions {
  readonly kubeconfig: string;
  readonly sentry: SentryOptions;
  readonly placement: PlacementOptions;
  readonly operator: OperatorOptions;
  readonly injector: InjectorOptions;
}

type Parser<O> = (argv: readonly string[], env: NodeJS.ProcessEnv) => OptionsOutcome<O>;

const PARSERS: { readonly [S in ServiceName]: Parser<AllInOneOptions[S]> } = {
  sentry: parseSentryOptions,
  placement: parsePlacementOptions,
  operator: parseOperatorOptions,
  injector: parseInjectorOptions,
};

/** The process's flags, which a group may not repeat. */
const PROCESS_FLAG_NAMES = new Set(Object.keys(ALL_IN_ONE_FLAGS));

/**
 * Sentry and placement default to standalone mode; this process runs the operator and the
 * injector, which only run in Kubernetes, so their groups start from `--mode=kubernetes`.
 */
const GROUP_DEFAULTS: { readonly [S in ServiceName]: readonly string[] } = {
  sentry: ['--mode=kubernetes'],
  placement: ['--mode=kubernetes'],
  operator: [],
  injector: [],
};

const isServiceName = (arg: string): arg is ServiceName => (SERVICE_NAMES as readonly string[]).includes(arg);

/** The name of a flag argument (`-x`, `--x`, `--x=v`); undefined for values. */
function flagName(arg: string): string | undefined {
  const match = /^--?([^-=][^=]*)/.exec(arg);
  return match?.[1];
}

export interface SplitCommandLine {
  readonly common: readonly string[];
  readonly groups: ReadonlyMap<ServiceName, readonly string[]>;
}

/**
 * Cuts argv at the service names. A flag value spelled like a service name must be written
 * `--flag=value`, as a bare word there starts a group.
 */
export function splitCommandLine(argv: readonly string[]): SplitCommandLine | string {
  const common: string[] = [];
  const groups = new Map<ServiceName, string[]>();
  let current: string[] = common;
  for (const arg of argv) {
    if (isServiceName(arg)) {
      if (groups.has(arg)) return `the ${arg} group is given twice`;
      current = [];
      groups.set(arg, current);
    } else {
      current.push(arg);
    }
  }
  for (const [service, args] of groups) {
    const repeated = args.map(flagName).find((name) => name !== undefined && PROCESS_FLAG_NAMES.has(name));
    if (repeated !== undefined) {
      return (
        `--${repeated} belongs before the first service name, not in the ${service} group: ` +
        'the all-in-one process has one /healthz, one metrics exporter, one log setup and one apiserver client'
      );
    }
  }
  return { common, groups };
}

function usageError(message: string): OptionsOutcome<never> {
  return {
    kind: 'exit',
    code: 2,
    stderr: `${message}\nUsage: all-in-one [flags] [sentry [flags]] [placement [flags]] [operator [flags]] [injector [flags]]\n`,
  };
}

export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): OptionsOutcome<AllInOneOptions> {
  const split = splitCommandLine(argv);
  if (typeof split === 'string') return usageError(split);
  const common = resolveOptions(
    {
      program: 'all-in-one',
      flags: ALL_IN_ONE_FLAGS,
      dialect: 'goflag',
      schema: () =>
        flagsSchema(ALL_IN_ONE_FLAGS)
          .extend(COMMON_RULES)
          .transform((v) => ({ ...commonOptions(v), kubeconfig: v.kubeconfig })),
    },
    split.common,
  );
  if (common.kind !== 'run') return common;
  let stderr = common.stderr;
  const services: Partial<{ -readonly [S in ServiceName]: AllInOneOptions[S] }> = {};
  for (const service of SERVICE_NAMES) {
    const given = split.groups.get(service) ?? [];
    const kubeconfig = common.options.kubeconfig === '' ? [] : [`--kubeconfig=${common.options.kubeconfig}`];
    const outcome = PARSERS[service]([...GROUP_DEFAULTS[service], ...kubeconfig, ...given], env);
    stderr += outcome.stderr;
    if (outcome.kind === 'exit') return { ...outcome, stderr };
    if (outcome.kind === 'invalid') return { ...outcome, message: `${service}: ${outcome.message}`, stderr };
    (services as Record<ServiceName, unknown>)[service] = outcome.options;
  }
  return {
    kind: 'run',
    stderr,
    options: { ...common.options, ...(services as Pick<AllInOneOptions, ServiceName>) },
  };
}
