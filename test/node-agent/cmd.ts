// Runs the host tools the node agent drives (ip, mount helpers, nsenter) and turns a failure
// into an error that carries the command line and its stderr.
import { execFile } from 'node:child_process';

export interface CmdResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CmdOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command; never rejects on a non-zero exit (see `code`). */
export function cmd(command: string, args: readonly string[], opts: CmdOptions = {}): Promise<CmdResult> {
  return new Promise((ok, fail) => {
    const child = execFile(
      command,
      [...args],
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20, env: opts.env ?? process.env },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          if (err.killed) {
            ok({ code: -1, stdout, stderr: `${stderr}\n(killed after ${opts.timeoutMs ?? 30_000} ms)` });
            return;
          }
          fail(new Error(`${command} ${args.join(' ')}: ${err.message}`));
          return;
        }
        ok({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) {
      // A command that exits without reading its input (`ip netns exec` into a namespace just
      // removed) breaks the pipe; its exit code already says what went wrong.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(opts.input);
    }
  });
}

/** Runs a command and rejects unless it exits 0. */
export async function mustCmd(
  command: string,
  args: readonly string[],
  opts: CmdOptions = {},
): Promise<string> {
  const r = await cmd(command, args, opts);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** `ip` with a batch of commands on stdin (one fork for many operations). */
export function ipBatch(lines: readonly string[], netns?: string): Promise<string> {
  const args = netns === undefined ? ['-batch', '-'] : ['-n', netns, '-batch', '-'];
  return mustCmd('ip', args, { input: lines.join('\n') + '\n' });
}
