// Builds and runs placement/testing/goplacement, a Go program that answers with dapr v1.18.3's
// own packages (pkg/placement/hashing, pkg/proto/placement/v1): the reference for the ring and
// the wire codec. Go is required: a missing toolchain fails the test with instructions.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../deps/paths.js';

const run = promisify(execFile);

export interface GoPlacement {
  /** Sends one JSON request; resolves with the parsed JSON answer. */
  ask<T>(request: unknown): Promise<T>;
  dispose(): void;
}

export async function buildGoPlacement(): Promise<GoPlacement> {
  const out = mkdtempSync(join(tmpdir(), 'goplacement-'));
  const binary = join(out, 'goplacement');
  try {
    await run('go', ['build', '-o', binary, '.'], {
      cwd: join(repoRoot, 'placement', 'testing', 'goplacement'),
      env: { ...process.env, GOFLAGS: '-mod=mod' },
    });
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new Error(
        'the Go toolchain (go ≥ 1.26) is required for the Go differential tests: install it and retry',
        {
          cause: err,
        },
      );
    throw new Error(`building placement/testing/goplacement failed: ${e.stderr ?? e.message}`, {
      cause: err,
    });
  }
  return {
    ask<T>(request: unknown): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
        const stdout: Buffer[] = [];
        const stderr: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => stdout.push(b));
        child.stderr.on('data', (b: Buffer) => stderr.push(b));
        child.on('error', reject);
        child.on('close', (code) => {
          if (code !== 0)
            reject(new Error(`goplacement exited ${code}: ${Buffer.concat(stderr).toString()}`));
          else resolve(JSON.parse(Buffer.concat(stdout).toString()) as T);
        });
        child.stdin.end(JSON.stringify(request));
      });
    },
    dispose(): void {
      rmSync(out, { recursive: true, force: true });
    },
  };
}
