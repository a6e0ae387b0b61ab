// The image's build (tsconfig.build.json) compiles exactly the modules its entry points reach:
// no test helper, fake or simulator ships (docs/architecture.md §3).
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { ENTRY_POINTS, REPO, reachable } from './imports.js';

function productionBuildFiles(): string[] {
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const listed = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((f) => f.startsWith(REPO) && !f.includes('/node_modules/'))
    .map((f) => relative(REPO, f))
    .sort();
}

describe('the production build', () => {
  const built = productionBuildFiles();
  const needed = reachable(ENTRY_POINTS);

  it('contains every module an entry point reaches', () => {
    expect([...needed].filter((f) => !built.includes(f)).sort()).toEqual([]);
    expect(built.length).toBeGreaterThan(100);
  });

  it('contains no module that only tests use', () => {
    expect(built.filter((f) => !needed.has(f))).toEqual([]);
  });

  it('contains nothing from test folders or test files', () => {
    expect(built.filter((f) => /(^|\/)(testing|test)\/|\.test\.ts$/.test(f))).toEqual([]);
  });
});
