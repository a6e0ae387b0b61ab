// Test helpers: keys of every type daprd and the control plane use, and CSRs made by OpenSSL
// (an independent implementation) next to the ones our builder makes.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type KeyKind = 'ed25519' | 'p256' | 'p384' | 'rsa2048';
export const KEY_KINDS: readonly KeyKind[] = ['ed25519', 'p256', 'p384', 'rsa2048'];

const cache = new Map<KeyKind, KeyObject>();

/** A private key of the kind; RSA keys are cached (slow to generate). */
export function privateKey(kind: KeyKind, fresh = false): KeyObject {
  const cached = cache.get(kind);
  if (cached !== undefined && !fresh) return cached;
  const key = (() => {
    switch (kind) {
      case 'ed25519':
        return generateKeyPairSync('ed25519').privateKey;
      case 'p256':
        return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      case 'p384':
        return generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
      case 'rsa2048':
        return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    }
  })();
  cache.set(kind, key);
  return key;
}

export function keyPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Runs openssl in a scratch directory holding `files`; returns stdout. */
export function openssl(
  args: readonly string[],
  files: Readonly<Record<string, string | Buffer>> = {},
): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'sentry-openssl-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CSR made by `openssl req` for `key` (PEM), with extra options (e.g. -sigopt for PSS). */
export function opensslCsr(key: KeyObject, extra: readonly string[] = []): Buffer {
  return openssl(['req', '-new', '-key', 'key.pem', '-subj', '/', ...extra], { 'key.pem': keyPem(key) });
}
