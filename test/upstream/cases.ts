// The cases of Dapr's integration suites and which of them are excluded by design
// (docs/upstream-suites.md). A case is registered with `suite.Register(new(<type>))` in a package
// under tests/integration/suite/; its name is `<package path below suite/>/<type>`, which is
// what the framework's -focus flag matches (tests/integration/integration.go).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUITES = ['sentry', 'placement', 'operator', 'injector'] as const;
export type Suite = (typeof SUITES)[number];

export function isSuite(name: string): name is Suite {
  return (SUITES as readonly string[]).includes(name);
}

/** Cases not run, each with the reason (the same text docs/upstream-suites.md gives). */
export const EXCLUDED: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  {
    pattern: /^placement\/quorum\//,
    reason:
      'three placement replicas elect a leader with raft; our placement is highly available through a Lease',
  },
  {
    pattern: /^placement\/metrics\/leadership$/,
    reason: 'counts raft leadership changes; our placement has no raft',
  },
  {
    pattern: /^[a-z]+\/helm\//,
    reason: "renders upstream's own Helm chart (our chart is charts/, tested by test/integration/chart)",
  },
];

export function exclusionOf(name: string): string | undefined {
  return EXCLUDED.find((e) => e.pattern.test(name))?.reason;
}

const REGISTER = /suite\.Register\(new\(([A-Za-z0-9_]+)\)\)/g;
const SUITE_IMPORT = /"github\.com\/dapr\/dapr\/tests\/integration\/suite\/([A-Za-z0-9_/]+)"/g;

/**
 * Every case of one suite, sorted by name, read from the module's source. Only packages the
 * suite's package imports (transitively) are compiled into the test binary, so the walk follows
 * imports rather than directories: a package nothing imports registers nothing.
 */
export function listCases(moduleDir: string, suite: Suite): string[] {
  const suiteRoot = join(moduleDir, 'tests', 'integration', 'suite');
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (pkg: string): void => {
    if (seen.has(pkg)) return;
    seen.add(pkg);
    const dir = join(suiteRoot, pkg);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.go') || entry.name.endsWith('_test.go')) continue;
      const text = readFileSync(join(dir, entry.name), 'utf8');
      for (const match of text.matchAll(REGISTER)) names.add(`${pkg}/${match[1]}`);
      for (const match of text.matchAll(SUITE_IMPORT)) if (match[1]?.startsWith(`${suite}/`)) visit(match[1]);
    }
  };
  visit(suite);
  return [...names].sort();
}
