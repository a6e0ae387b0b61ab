import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBundle } from './bundle.js';
import { credentialDirectories, credentialPaths, FileCaStore } from './file-store.js';
import { bundleKeys } from './bundle-layout.js';

const flags = {
  issuerCredentialsPath: '/var/run/secrets/dapr.io/credentials',
  rootCaFilename: 'ca.crt',
  issuerCertFilename: 'issuer.crt',
  issuerKeyFilename: 'issuer.key',
};
const bundle = generateBundle({
  trustDomain: 'localhost',
  controlPlaneNamespace: 'default',
  allowedClockSkewMs: 0,
});

describe('sentry §5: the self-hosted file store', () => {
  const root = mkdtempSync(join(tmpdir(), 'sentry-files-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('files live in --issuer-credentials unless a filename flag is absolute', () => {
    expect(credentialPaths(flags)).toEqual({
      trustAnchors: '/var/run/secrets/dapr.io/credentials/ca.crt',
      issuerChain: '/var/run/secrets/dapr.io/credentials/issuer.crt',
      issuerKey: '/var/run/secrets/dapr.io/credentials/issuer.key',
    });
    const paths = credentialPaths({ ...flags, issuerKeyFilename: '/keys/issuer.key' });
    expect(paths.issuerKey).toBe('/keys/issuer.key');
    expect(credentialDirectories(paths)).toEqual(['/keys', '/var/run/secrets/dapr.io/credentials']);
  });

  it('generates into an empty directory with mode 0600, then reads the same CA back', async () => {
    const dir = join(root, 'fresh');
    mkdirSync(dir);
    const options = { ...flags, issuerCredentialsPath: dir };
    const store = new FileCaStore({
      paths: credentialPaths(options),
      directory: dir,
      keys: bundleKeys(options),
    });
    const first = await store.read();
    expect(first.decision.action).toBe('generate');
    const fingerprint = await first.saveBundle(bundle);
    expect(statSync(join(dir, 'issuer.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'ca.crt'))).toEqual(bundle.trustAnchorsPem);
    const again = await store.read();
    expect(again.decision.action).toBe('use');
    expect(again.fingerprint).toBe(fingerprint);
    expect(await store.currentFingerprint()).toBe(fingerprint);
  });

  it('a missing directory makes the write fail, naming the file', async () => {
    const dir = join(root, 'absent');
    const options = { ...flags, issuerCredentialsPath: dir };
    const store = new FileCaStore({
      paths: credentialPaths(options),
      directory: dir,
      keys: bundleKeys(options),
    });
    await expect((await store.read()).saveBundle(bundle)).rejects.toThrow(
      `failed to write file ${join(dir, 'ca.crt')}`,
    );
  });

  it('an empty file counts as missing', async () => {
    const dir = join(root, 'empty');
    mkdirSync(dir);
    for (const f of ['ca.crt', 'issuer.crt', 'issuer.key']) writeFileSync(join(dir, f), '');
    const options = { ...flags, issuerCredentialsPath: dir };
    const store = new FileCaStore({
      paths: credentialPaths(options),
      directory: dir,
      keys: bundleKeys(options),
    });
    expect((await store.read()).decision.action).toBe('generate');
  });
});
