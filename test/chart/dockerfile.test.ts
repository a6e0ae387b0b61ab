// The Dockerfile of the one dapr-ts image, checked for structure (there is no Docker on the
// build machines, so the image itself is not built here): a build stage, a distroless non-root
// runtime without a shell, and entry points /sentry, /placement, /operator, /injector and
// /healthcheck that really start the compiled programs (run here through their #! line, as the kernel would).
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../deps/paths.js';
import { runId } from '../../kit/testing/managed-process.js';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), `dapr-ts-${runId}-dockerfile-`));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Instructions per stage, continuation lines joined. */
function stages(text: string): Array<{ from: string; name?: string; lines: string[] }> {
  const joined = text.replace(/\\\n/g, ' ');
  const out: Array<{ from: string; name?: string; lines: string[] }> = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ from: from[1]!, name: from[2], lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe('Dockerfile', () => {
  const all = stages(dockerfile);
  const runtime = all.at(-1)!;

  it('builds in node stages and runs on distroless node as a non-root user', () => {
    expect(all.map((s) => s.name)).toEqual(['build', 'deps', undefined]);
    expect(all[0]!.from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim$/);
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=20\.\d+$/m);
    expect(runtime.from).toBe('gcr.io/distroless/nodejs20-debian12:nonroot');
    expect(runtime.lines).toContain('USER 65532:65532');
    // No shell in the runtime image: nothing may RUN there.
    expect(runtime.lines.filter((l) => /^RUN\b/i.test(l))).toEqual([]);
    // Only production dependencies, the compiled services and package.json (ES modules).
    expect(runtime.lines.filter((l) => /^COPY\b/i.test(l))).toEqual([
      'COPY --from=deps --chown=65532:0 /src/package.json ./package.json',
      'COPY --from=deps --chown=65532:0 /src/node_modules ./node_modules',
      'COPY --from=build --chown=65532:0 /src/dist ./dist',
      'COPY --from=build --chown=65532:0 /entrypoints/ /',
    ]);
    expect(all[1]!.lines).toContain('RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund');
    expect(all[0]!.lines).toContain('RUN npx tsc -p tsconfig.build.json');
  });

  it('keeps tests, node_modules and build output out of the build context', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'test', '.git', '**/*.test.ts'])
      expect(ignored).toContain(entry);
  });

  it('makes entry points named like the Dapr binaries that start the compiled services', async () => {
    const loop = /for pair in ([^;]+); do/.exec(dockerfile.replace(/\\\n/g, ' '));
    const pairs = loop![1]!
      .trim()
      .split(/\s+/)
      .map((p) => p.split(':') as [string, string]);
    expect(pairs).toEqual([
      ['sentry', 'sentry'],
      ['placement', 'placement'],
      ['operator', 'operator'],
      ['injector', 'sidecar-injector'],
      ['healthcheck', 'kit/healthcheck'],
    ]);
    const format = /printf '([^']+)'/.exec(dockerfile)![1]!;
    // /healthcheck is run against a local server that answers 200.
    const server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const [name, dir] of pairs) {
        // The same text, pointed at this checkout's dist/ and this machine's node.
        const script = format
          .replace('%s', dir)
          .replace(/\\n/g, '\n')
          .replace('#!/nodejs/bin/node', `#!${process.execPath}`)
          .replace('/app/dist/', `${repoRoot}/dist/`);
        expect(existsSync(join(repoRoot, 'dist', dir, 'main.js'))).toBe(true);
        const file = join(tmp, name);
        writeFileSync(file, script);
        chmodSync(file, 0o755);
        const args = name === 'healthcheck' ? [`self=http://127.0.0.1:${port}/`] : ['--help'];
        const { stdout, stderr } = await promisify(execFile)(file, args, { timeout: 20_000 });
        expect(`${stdout}${stderr}`).toContain(name === 'healthcheck' ? 'healthy: self' : `Usage of ${name}`);
      }
    } finally {
      server.close();
    }
  });
});
