// The import rule of docs/architecture.md §2, as lint applies it: the rule flags each wrong
// direction, eslint.config.js turns it on for every TypeScript file, and the tree obeys it.
import { describe, expect, it } from '@jest/globals';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO, sourcesUnder } from './imports.js';

// Plain JavaScript at the repository root, outside the compiled tree: loaded from there.
interface RuleModule {
  readonly default: NonNullable<Linter.Config['plugins']>[string];
  readonly forbidden: (from: string, to: string) => string | undefined;
}
const load = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(REPO, path)).href)) as T;
const { default: local, forbidden } = await load<RuleModule>('lint/import-direction.js');
const { default: config } = await load<{ default: Linter.Config[] }>('eslint.config.js');

const RULE = 'local/import-direction';
const lintConfig: Linter.Config[] = [
  {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    plugins: { local },
    rules: { [RULE]: 'error' },
  },
];

function violations(filename: string, code: string): string[] {
  return new Linter({ cwd: REPO })
    .verify(code, lintConfig, { filename: join(REPO, filename) })
    .filter((m) => m.ruleId === RULE)
    .map((m) => m.message);
}

describe('the import direction rule', () => {
  it.each([
    ['placement/security.ts', "import { x } from '../sentry/ca/ca.js';", 'not sentry/'],
    ['operator/api/server.ts', "export { y } from '../../placement/security.js';", 'not placement/'],
    ['sidecar-injector/app.ts', "const m = await import('../test/harness/wait.js');", 'not test/'],
    [
      'kit/security/provider.ts',
      "import type { T } from '../../sentry/errors.js';",
      'kit/ imports no service',
    ],
    ['kit/testing/wait.ts', "import '../../test/harness/pods.js';", 'kit/ imports no service'],
    ['sentry/sentry.ts', "import { run } from '../all-in-one/app.js';", 'not all-in-one/'],
    ['kit/service-main.ts', "import type { O } from '../all-in-one/options.js';", 'kit/ imports no service'],
    ['all-in-one/app.ts', "import { s } from '../test/harness/pods.js';", 'not test/'],
    ['all-in-one/app.ts', "import { b } from '../bench/report.js';", 'not bench/'],
  ])('refuses %s: %s', (file, code, why) => {
    const found = violations(file, code);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(why);
  });

  it.each([
    ['placement/security.ts', "import { x } from '../kit/security/provider.js';"],
    ['placement/server/server.ts', "import { y } from '../loops/namespace.js';"],
    ['test/integration/x.test.ts', "import { z } from '../../sentry/ca/ca.js';"],
    ['bench/sentry/run.ts', "import { z } from '../../test/harness/pods.js';"],
    ['sentry/sentry.ts', "import { credentials } from '@grpc/grpc-js';"],
    ['all-in-one/app.ts', "import { Sentry } from '../sentry/sentry.js';"],
    ['all-in-one/app.ts', "import { Injector } from '../sidecar-injector/injector.js';"],
    ['all-in-one/app.ts', "import { logger } from '../kit/logger.js';"],
    ['test/integration/all-in-one/x.test.ts', "import { run } from '../../../all-in-one/app.js';"],
  ])('allows %s: %s', (file, code) => {
    expect(violations(file, code)).toEqual([]);
  });

  it('the table of directions', () => {
    expect(forbidden('operator', 'kit')).toBeUndefined();
    expect(forbidden('operator', 'operator')).toBeUndefined();
    expect(forbidden('test', 'operator')).toBeUndefined();
    expect(forbidden('operator', 'sentry')).toBeDefined();
    expect(forbidden('kit', 'test')).toBeDefined();
    expect(forbidden('sentry', 'bench')).toBeDefined();
    // The composition root alone may import every service.
    for (const service of ['sentry', 'placement', 'operator', 'sidecar-injector']) {
      expect(forbidden('all-in-one', service)).toBeUndefined();
      expect(forbidden(service, 'all-in-one')).toBeDefined();
    }
    expect(forbidden('all-in-one', 'kit')).toBeUndefined();
    expect(forbidden('kit', 'all-in-one')).toBeDefined();
    expect(forbidden('all-in-one', 'test')).toBeDefined();
  });

  it('eslint.config.js applies it to every TypeScript file as an error', () => {
    const blocks = config.filter((b) => b.rules?.[RULE] !== undefined);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.rules![RULE]).toBe('error');
    expect(blocks[0]!.files).toEqual(['**/*.ts']);
  });

  it('the whole tree obeys it', () => {
    const found: string[] = [];
    const files = [
      'kit',
      'sentry',
      'placement',
      'operator',
      'sidecar-injector',
      'all-in-one',
      'test',
      'bench',
    ].flatMap(sourcesUnder);
    expect(files.length).toBeGreaterThan(300);
    for (const f of files) {
      for (const message of violations(f, readFileSync(join(REPO, f), 'utf8')))
        found.push(`${f}: ${message}`);
    }
    expect(found).toEqual([]);
  });
});
