// A real redis-server (Debian's, unpacked into the cache by test/deps/fetch.sh redis) owned by
// a test: loopback or a given address, a password, no persistence, removed by stop().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'node:net';
import { cachedBinary } from '../deps/paths.js';
import { freePort } from './ports.js';
import { ManagedProcess, runId } from '../../kit/testing/managed-process.js';
import { run } from './tools.js';

export interface RedisOptions {
  /** Address to listen on (default 127.0.0.1); a pod network's host address lets pods reach it. */
  readonly host?: string;
  readonly password?: string;
}

export interface TestRedis {
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  readonly process: ManagedProcess;
  /** Runs one command through the real redis-cli and returns its raw output (trimmed). */
  cli(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export async function startRedis(opts: RedisOptions = {}): Promise<TestRedis> {
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-redis-`));
  const args = ['--bind', host, '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no'];
  if (opts.password !== undefined) args.push('--requirepass', opts.password);
  let proc: ManagedProcess | undefined;
  try {
    proc = await ManagedProcess.start({
      name: 'redis-server',
      command: cachedBinary('redis-server'),
      args,
      logFile: join(dir, 'redis.log'),
    });
    await proc.waitUntilReady(() => accepts(host, port), { what: `redis-server on ${host}:${port}` });
  } catch (err) {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const started = proc;
  const cli = async (...command: string[]): Promise<string> => {
    const auth = opts.password === undefined ? [] : ['--no-auth-warning', '-a', opts.password];
    const r = await run(cachedBinary('redis-cli'), ['-h', host, '-p', String(port), ...auth, ...command]);
    if (r.code !== 0) throw new Error(`redis-cli ${command.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout.trim();
  };
  return {
    host,
    port,
    password: opts.password,
    process: started,
    cli,
    stop: async () => {
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port }, () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}
