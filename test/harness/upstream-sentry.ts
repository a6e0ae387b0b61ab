// Where tests read the real v1.18.3 sources from: the dapr Go module, fetched (and cached) by
// the Go toolchain, at the version test/deps/versions.env pins. Nothing from it is committed.
import { execFileSync } from 'node:child_process';
import { pinnedVersions } from '../deps/paths.js';

let cached: string | undefined;

/** The module directory of github.com/dapr/dapr at the pinned version; throws with a fix. */
export function daprModuleDir(): string {
  if (cached !== undefined) return cached;
  const version = pinnedVersions().DAPR_VERSION;
  if (version === undefined) throw new Error('DAPR_VERSION is not pinned in test/deps/versions.env');
  let out: string;
  try {
    out = execFileSync('go', ['mod', 'download', '-json', `github.com/dapr/dapr@${version}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
    });
  } catch (err) {
    throw new Error(
      `cannot download github.com/dapr/dapr@${version} with the Go toolchain (is go installed and the module proxy reachable?): ${(err as Error).message}`,
      { cause: err },
    );
  }
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  if (dir === undefined)
    throw new Error(`go mod download gave no directory for github.com/dapr/dapr@${version}`);
  cached = dir;
  return dir;
}
