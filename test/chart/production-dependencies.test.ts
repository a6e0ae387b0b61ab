// The image installs package.json's `dependencies` only (npm ci --omit=dev), so they must be
// exactly what the shipped modules import: a missing one breaks a service at start-up, a surplus
// one only grows the image. "Shipped" is what tsconfig.build.json compiles (the four services, the
// all-in-one process and kit, without tests and testing helpers); it reads the compiled dist/.
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { repoRoot } from '../deps/paths.js';

const SHIPPED = ['kit', 'sentry', 'placement', 'operator', 'sidecar-injector', 'all-in-one'];

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The compiled modules the image's build includes (tsconfig.build.json's include and exclude). */
function shippedModules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'testing' ? [] : shippedModules(path);
    return e.name.endsWith('.js') && !e.name.endsWith('.test.js') ? [path] : [];
  });
}

/** The npm package a bare import specifier names (`@scope/name/sub` → `@scope/name`), or undefined. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

/** Every package the module imports, statically, with import(), or with a created require(). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm),
    ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ...text.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g), // createRequire, for the addon
  ].map((m) => m[1]!);
  return specifiers.map(packageOf).filter((p): p is string => p !== undefined);
}

describe('production dependencies', () => {
  const users = new Map<string, string[]>();
  for (const folder of SHIPPED)
    for (const file of shippedModules(join(repoRoot, 'dist', folder)))
      for (const p of importsOf(file)) users.set(p, [...(users.get(p) ?? []), relative(repoRoot, file)]);

  it('are exactly the packages the shipped modules import', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual([...users.keys()].sort());
  });

  it('are these seven, with the Kubernetes client a development dependency only', () => {
    expect(Object.keys(pkg.dependencies).sort()).toEqual([
      '@grpc/grpc-js',
      'jose',
      'pino',
      'prom-client',
      'sodium-native',
      'yaml',
      'zod',
    ]);
    expect(pkg.devDependencies['@kubernetes/client-node']).toBeDefined();
    expect(users.has('@kubernetes/client-node')).toBe(false);
  });

  it('reads the imports it checks (the scan is not empty)', () => {
    expect(users.get('@grpc/grpc-js')?.some((f) => f.startsWith('dist/sentry/'))).toBe(true);
  });
});
