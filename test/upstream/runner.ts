// Runs cases of Dapr's own integration suites (docs/upstream-suites.md) against a set of
// control-plane binaries: ours (wrappers around dist/) or upstream's Go binaries, always with
// upstream's daprd and scheduler. Each case runs in its own process (a panicking case cannot
// take the others with it) as an unprivileged user, because both control planes refuse
// Kubernetes mode as root.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, daprBinDir, pinnedVersions, repoRoot } from '../deps/paths.js';

export type Flavour = 'ours' | 'upstream';

/** Our four services, by the framework's binary name, and the entry point each one runs. */
const OUR_SERVICES = {
  sentry: 'dist/sentry/main.js',
  placement: 'dist/placement/main.js',
  operator: 'dist/operator/main.js',
  injector: 'dist/sidecar-injector/main.js',
} as const;

/** Binaries the suites' framework would otherwise build; none of them is used by these four suites. */
const UNUSED_HELPERS = ['helmtemplate', 'mcpstdioserver', 'controllergen'];

export const SUITES_USER = 'dapr-suites';
const CASE_TIMEOUT_MS = 4 * 60_000;

export interface Environment {
  /** Owned by the suites' user; removed by dispose(). */
  readonly dir: string;
  readonly uid: number;
  readonly gid: number;
  readonly testBinary: string;
  /** The module copy the binary was built from (its suite sources list the cases). */
  readonly moduleDir: string;
  env(flavour: Flavour): NodeJS.ProcessEnv;
  dispose(): void;
}

function fail(message: string): never {
  throw new Error(`[upstream-suites] ${message}`);
}

/** Builds (once, cached) the suites' test binary; returns the directory build.sh prints. */
export function buildSuites(): string {
  const result = spawnSync('bash', [join(repoRoot, 'test', 'upstream', 'build.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (result.status !== 0) fail('building the integration test binary failed (see the messages above)');
  return result.stdout.trim().split('\n').at(-1) ?? fail('build.sh printed no directory');
}

/** The unprivileged user the cases run as; created (a system user without a home) when missing. */
export function suitesUser(): { uid: number; gid: number } {
  const lookup = (): string => spawnSync('id', ['-u', SUITES_USER], { encoding: 'utf8' }).stdout.trim();
  let uid = lookup();
  if (uid === '') {
    const made = spawnSync(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SUITES_USER],
      {
        encoding: 'utf8',
      },
    );
    if (made.status !== 0) fail(`cannot create the user ${SUITES_USER} (run as root): ${made.stderr.trim()}`);
    uid = lookup();
  }
  const gid = spawnSync('id', ['-g', SUITES_USER], { encoding: 'utf8' }).stdout.trim();
  return { uid: Number(uid), gid: Number(gid) };
}

function wrapper(path: string, node: string, entry: string): void {
  writeFileSync(path, `#!/bin/sh\nexec ${node} ${join(repoRoot, entry)} "$@"\n`, { mode: 0o755 });
}

/**
 * Lays out a run directory the unprivileged user can read (the cache under /root is not): the
 * test binary, upstream's binaries, Node and wrappers for ours, Dapr's CRDs and a private TMPDIR.
 */
export function prepareEnvironment(suitesDir: string): Environment {
  const version = pinnedVersions().DAPR_VERSION ?? 'v1.18.3';
  const moduleDir = join(cacheDir, 'build', `dapr-suites-${version}`);
  const upstreamDir = daprBinDir();
  const upstream = (name: string): string => {
    for (const dir of [upstreamDir, suitesDir]) if (existsSync(join(dir, name))) return join(dir, name);
    return fail(
      `upstream's ${name} is not in ${upstreamDir}; run test/deps/fetch.sh dapr-control-plane daprd`,
    );
  };
  for (const entry of Object.values(OUR_SERVICES)) {
    if (!existsSync(join(repoRoot, entry))) fail(`${entry} is missing: run npm run build first`);
  }
  const { uid, gid } = suitesUser();
  const dir = mkdtempSync(join(tmpdir(), 'dapr-upstream-suites-'));
  const bin = join(dir, 'bin');
  const ours = join(dir, 'ours');
  const tmp = join(dir, 'tmp');
  for (const d of [bin, ours, tmp]) mkdirSync(d);
  const testBinary = join(bin, 'integration.test');
  copyFileSync(join(suitesDir, 'integration.test'), testBinary);
  for (const name of ['sentry', 'placement', 'operator', 'injector', 'scheduler', 'daprd']) {
    copyFileSync(upstream(name), join(bin, name));
  }
  // The Node running this (the pinned one, under /root/.cache) is copied too: the user cannot
  // reach it there.
  const node = join(bin, 'node');
  copyFileSync(process.execPath, node);
  for (const [name, entry] of Object.entries(OUR_SERVICES)) wrapper(join(ours, name), node, entry);
  cpSync(join(moduleDir, 'charts', 'dapr', 'crds'), join(dir, 'crds'), { recursive: true });
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  for (const f of [
    testBinary,
    ...['sentry', 'placement', 'operator', 'injector', 'scheduler', 'daprd', 'node'].map((n) => join(bin, n)),
  ]) {
    chmodSync(f, 0o755);
  }
  chownSync(tmp, uid, gid);
  chownSync(dir, uid, gid);

  const env = (flavour: Flavour): NodeJS.ProcessEnv => {
    const control = flavour === 'ours' ? ours : bin;
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: tmp,
      TMPDIR: tmp,
      DAPR_INTEGRATION_CRD_DIRECTORY: join(dir, 'crds'),
      DAPR_INTEGRATION_DAPRD_PATH: join(bin, 'daprd'),
      DAPR_INTEGRATION_SCHEDULER_PATH: join(bin, 'scheduler'),
      DAPR_INTEGRATION_SENTRY_PATH: join(control, 'sentry'),
      DAPR_INTEGRATION_PLACEMENT_PATH: join(control, 'placement'),
      DAPR_INTEGRATION_OPERATOR_PATH: join(control, 'operator'),
      DAPR_INTEGRATION_INJECTOR_PATH: join(control, 'injector'),
      // Set so the framework does not try to build them; a case that needed one would fail loudly.
      ...Object.fromEntries(
        UNUSED_HELPERS.map((h) => [`DAPR_INTEGRATION_${h.toUpperCase()}_PATH`, join(dir, 'not-built', h)]),
      ),
    };
  };
  return {
    dir,
    uid,
    gid,
    testBinary,
    moduleDir,
    env,
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CaseResult {
  readonly name: string;
  readonly flavour: Flavour;
  readonly passed: boolean;
  readonly durationMs: number;
  /** The test binary's output (kept for failures). */
  readonly output: string;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Runs one case in its own process group; a case that outlives its deadline is killed. */
export function runCase(environment: Environment, name: string, flavour: Flavour): Promise<CaseResult> {
  const started = Date.now();
  const args = [
    `--reuid=${environment.uid}`,
    `--regid=${environment.gid}`,
    '--clear-groups',
    '--',
    environment.testBinary,
    '-test.run',
    '^Test_Integration$',
    '-test.v',
    '-test.count=1',
    `-test.timeout=${Math.floor(CASE_TIMEOUT_MS / 1000) - 10}s`,
    `-focus=^${escapeRegExp(name)}$`,
  ];
  return new Promise((resolve) => {
    const child = spawn('setpriv', args, {
      cwd: join(environment.dir, 'tmp'),
      env: environment.env(flavour),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(killGroup, CASE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      killGroup(); // any process the case left behind
      const output = Buffer.concat(chunks).toString('utf8');
      // A case that ran: the focus matched one case and the binary passed.
      const ran =
        output.includes(`--- PASS: Test_Integration/${name} `) ||
        output.includes(`--- FAIL: Test_Integration/${name} `);
      resolve({ name, flavour, passed: code === 0 && ran, durationMs: Date.now() - started, output });
    });
  });
}
