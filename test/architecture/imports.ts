// Reads the project's own import graph from the TypeScript sources (relative specifiers only;
// packages are not ours), for the architecture checks and the closing notes' graph.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = normalize(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..'));

/** The four services', the all-in-one process's and the healthcheck's main modules: what the image runs. */
export const ENTRY_POINTS = [
  'sentry/main.ts',
  'placement/main.ts',
  'operator/main.ts',
  'sidecar-injector/main.ts',
  'all-in-one/main.ts',
  'kit/healthcheck/main.ts',
];

// Static imports, re-exports and dynamic import() with a literal, as the sources write them.
const SPECIFIER = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

/** Repository-relative .ts paths `file` imports. */
export function importsOf(file: string): string[] {
  const text = readFileSync(join(REPO, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const target = normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts');
    if (existsSync(join(REPO, target))) out.push(target);
  }
  return out;
}

/** Every module reachable from `roots` through imports (type-only imports included). */
export function reachable(roots: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    stack.push(...importsOf(file));
  }
  return seen;
}

/** Repository-relative paths of the .ts files under `folder`. */
export function sourcesUnder(folder: string): string[] {
  return readdirSync(join(REPO, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => relative(REPO, join(REPO, folder, f)));
}
