// Where the cached real components live, and a clear error when one is missing.
// test/deps/fetch.sh fills the cache; this module only reads it.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file whether it runs from test/ or dist/test/. */
export const repoRoot: string = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || dir.endsWith('/dist')) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the repository root above ${start}`);
    dir = parent;
  }
  return dir;
}

export const cacheDir: string = resolve(process.env.DAPR_TS_CACHE ?? join(homedir(), '.cache', 'dapr-ts'));
export const binDir: string = join(cacheDir, 'bin');
export const fetchScript: string = join(repoRoot, 'test', 'deps', 'fetch.sh');

/** The pinned versions from test/deps/versions.env (KEY=value lines). */
export function pinnedVersions(): Readonly<Record<string, string>> {
  const text = readFileSync(join(repoRoot, 'test', 'deps', 'versions.env'), 'utf8');
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

export type CachedBinary =
  | 'etcd'
  | 'kube-apiserver'
  | 'kube-controller-manager'
  | 'kube-scheduler'
  | 'helm'
  | 'kubectl'
  | 'redis-server'
  | 'redis-cli'
  | 'umoci'
  | 'runc';

/** The path of a cached binary; throws a message that says how to get it when it is missing. */
export function cachedBinary(name: CachedBinary): string {
  const path = join(binDir, name);
  if (!existsSync(path)) {
    throw new Error(
      `${name} is not in the test cache (${binDir}). Run \`npm run deps\` (test/deps/fetch.sh) to build or fetch it.`,
    );
  }
  return path;
}

/** Where test/deps/fetch.sh puts the upstream Go binaries of Dapr (sentry, placement, ..., daprd). */
export function daprBinDir(): string {
  return join(cacheDir, `dapr-${pinnedVersions().DAPR_VERSION ?? 'v1.18.3'}`);
}
