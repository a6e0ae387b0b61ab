// Two versions matter: the Dapr release we are wire-compatible with (printed as `ver` in every
// JSON log line, where log pipelines expect Dapr's version) and our own build, printed in the
// startup banner so an operator can tell which dapr-ts image is running.
import { readFileSync } from 'node:fs';

/** The daprd release whose control-plane contract we implement (no leading `v`, like Dapr). */
export const DAPR_VERSION = '1.18.3';

export interface BuildInfo {
  /** Our package version, from package.json. */
  readonly version: string;
  /** The git commit we were built from, or `unknown`. */
  readonly commit: string;
}

// Compiled files live in dist/kit/, sources in kit/: the package root is two levels up from dist.
const PACKAGE_ROOT = new URL('../../', import.meta.url);

function readText(relative: string): string | undefined {
  try {
    return readFileSync(new URL(relative, PACKAGE_ROOT), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Resolves HEAD from a work tree's .git directory (loose ref or packed-refs); images have none. */
function commitFromGit(): string | undefined {
  const head = readText('.git/HEAD');
  if (head === undefined) return undefined;
  if (!head.startsWith('ref: ')) return head;
  const ref = head.slice('ref: '.length);
  const loose = readText(`.git/${ref}`);
  if (loose !== undefined) return loose;
  const packed = readText('.git/packed-refs')
    ?.split('\n')
    .find((line) => line.endsWith(` ${ref}`));
  return packed?.split(' ')[0];
}

let cached: BuildInfo | undefined;

/**
 * Version and commit for the banner. The image build may pin the commit with DAPR_TS_COMMIT;
 * otherwise a checkout's .git is consulted. Read once, lazily (two small files at most).
 */
export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  if (cached !== undefined) return cached;
  let version = 'unknown';
  try {
    const pkg = JSON.parse(readText('package.json') ?? '{}') as { version?: unknown };
    if (typeof pkg.version === 'string') version = pkg.version;
  } catch {
    // A broken package.json must not stop the service; the banner says "unknown".
  }
  const commit = env.DAPR_TS_COMMIT ?? commitFromGit() ?? 'unknown';
  cached = { version, commit };
  return cached;
}
