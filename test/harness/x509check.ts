// Builds and runs test/tools/x509check, our Go program that reads certificates exactly as daprd
// 1.18.3 does (crypto/x509 of Go 1.26, go-spiffe v2.6.0, grpc-go). Go is required: a missing
// toolchain fails the test with instructions instead of skipping it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../deps/paths.js';

const run = promisify(execFile);

export interface X509Check {
  /** Runs a command; resolves with its parsed JSON, rejects with stderr on a non-zero exit. */
  run(args: readonly string[]): Promise<Record<string, unknown>>;
  /** Writes `files` to a fresh directory and returns their paths by name. */
  files(files: Readonly<Record<string, string | Buffer>>): Record<string, string>;
  /** Removes the binary and every file written through files(). */
  dispose(): void;
}

/** Builds the tool once into a temporary directory under `parentDir` (Go caches module downloads). */
export async function buildX509Check(parentDir: string = tmpdir()): Promise<X509Check> {
  const out = mkdtempSync(join(parentDir, 'x509check-'));
  const binary = join(out, 'x509check');
  try {
    await run('go', ['build', '-o', binary, '.'], {
      cwd: join(repoRoot, 'test', 'tools', 'x509check'),
      env: { ...process.env, GOFLAGS: '-mod=mod' },
    });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        'the Go toolchain (go ≥ 1.26) is required for the Go-parser tests: install it (https://go.dev/dl) and retry',
        { cause: err },
      );
    }
    throw new Error(`building test/tools/x509check failed: ${e.stderr ?? e.message}`, { cause: err });
  }
  return {
    async run(args) {
      try {
        const { stdout } = await run(binary, [...args], { timeout: 60_000 });
        return JSON.parse(stdout) as Record<string, unknown>;
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error((e.stderr ?? e.message).trim(), { cause: err });
      }
    },
    files(files) {
      const dir = mkdtempSync(join(out, 'files-'));
      const paths: Record<string, string> = {};
      for (const [name, data] of Object.entries(files)) {
        const path = join(dir, name);
        writeFileSync(path, data);
        paths[name] = path;
      }
      return paths;
    },
    dispose() {
      rmSync(out, { recursive: true, force: true });
    },
  };
}
