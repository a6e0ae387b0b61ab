// Runs the cached kubectl and helm against a test cluster, with helm's state kept in a
// temp dir (never in the user's home).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedBinary } from '../deps/paths.js';
import { runId } from '../../kit/testing/managed-process.js';

export interface ToolResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ToolOptions {
  readonly kubeconfig?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/** Runs a command and resolves with its exit code and output (never rejects on a non-zero exit). */
export function run(command: string, args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return new Promise((ok, fail) => {
    const env = { ...process.env, ...opts.env, ...(opts.kubeconfig ? { KUBECONFIG: opts.kubeconfig } : {}) };
    execFile(
      command,
      [...args],
      { env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 32 << 20 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          fail(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`));
          return;
        }
        ok({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
  });
}

export function kubectl(args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return run(cachedBinary('kubectl'), args, opts);
}

/** A helm whose cache, config and data dirs live in one temp dir, removed by dispose(). */
export class Helm {
  readonly home = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-helm-`));

  run(args: readonly string[], opts: ToolOptions = {}): Promise<ToolResult> {
    return run(cachedBinary('helm'), args, {
      ...opts,
      env: {
        HELM_CACHE_HOME: join(this.home, 'cache'),
        HELM_CONFIG_HOME: join(this.home, 'config'),
        HELM_DATA_HOME: join(this.home, 'data'),
        ...opts.env,
      },
    });
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
