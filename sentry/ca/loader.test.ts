import { describe, expect, it } from '@jest/globals';
import { recordingLogger } from '../../kit/testing/logger.js';
import { generateBundle } from './bundle.js';
import { CaLoadError, loadCa } from './loader.js';
import { MemoryCaStore } from './testing/memory-store.js';

const newBundle = (): ReturnType<typeof generateBundle> =>
  generateBundle({
    trustDomain: 'cluster.local',
    controlPlaneNamespace: 'dapr-system',
    allowedClockSkewMs: 0,
  });
const log = recordingLogger();

function metrics(): { events: string[]; issuerCertChanged(): void; issuerCertExpiry(d: Date): void } {
  const events: string[] = [];
  return {
    events,
    issuerCertChanged: () => events.push('changed'),
    issuerCertExpiry: (d) => events.push(`expiry:${d.toISOString()}`),
  };
}

describe('sentry §5: loading the CA from its store', () => {
  it('generates and stores a CA when the store is empty (changed_total +1, expiry set)', async () => {
    const store = new MemoryCaStore();
    const m = metrics();
    const generated = newBundle();
    const loaded = await loadCa({ store, log, metrics: m, generate: () => generated });
    expect(loaded.generated).toBe(true);
    expect(loaded.bundle).toBe(generated);
    expect(store.saves).toBe(1);
    expect(loaded.fingerprint).toBe(await store.currentFingerprint());
    expect(m.events).toEqual(['changed', `expiry:${generated.issuerChain[0]!.notAfter.toISOString()}`]);
  });

  it('uses the stored CA as is: same anchors, nothing written, changed_total untouched', async () => {
    const stored = newBundle();
    const store = new MemoryCaStore().withBundle(stored);
    const m = metrics();
    const loaded = await loadCa({ store, log, metrics: m, generate: () => newBundle() });
    expect(loaded.generated).toBe(false);
    expect(loaded.bundle.trustAnchorsPem).toEqual(stored.trustAnchorsPem);
    expect(store.saves).toBe(0);
    expect(m.events).toEqual([`expiry:${stored.issuerChain[0]!.notAfter.toISOString()}`]);
  });

  it('after losing a write race, uses the CA the other sentry stored', async () => {
    const theirs = newBundle();
    const store = new MemoryCaStore();
    store.conflicts = 1;
    store.onConflict = () => store.withBundle(theirs);
    const loaded = await loadCa({ store, log, generate: () => newBundle() });
    expect(loaded.generated).toBe(false);
    expect(loaded.bundle.trustAnchorsPem).toEqual(theirs.trustAnchorsPem);
  });

  it('gives up after repeated conflicts', async () => {
    const store = new MemoryCaStore();
    store.conflicts = 5;
    await expect(loadCa({ store, log, generate: () => newBundle(), maxAttempts: 3 })).rejects.toThrow(
      'changed meanwhile',
    );
  });

  it('a stored bundle that does not verify is fatal, never replaced', async () => {
    const store = new MemoryCaStore().withBundle(newBundle());
    store.stored = { ...store.stored, issuerKey: newBundle().issuerKeyPem };
    const attempt = loadCa({ store, log, generate: () => newBundle() });
    await expect(attempt).rejects.toThrow(CaLoadError);
    await expect(loadCa({ store, log, generate: () => newBundle() })).rejects.toThrow(
      'failed to verify CA bundle in memory: issuer key does not match issuer certificate',
    );
    expect(store.saves).toBe(0);
  });

  it('a partial store is fatal with the reason', async () => {
    const store = new MemoryCaStore();
    store.stored = { trustAnchors: newBundle().trustAnchorsPem };
    await expect(loadCa({ store, log, generate: () => newBundle() })).rejects.toThrow(
      /has only part of the CA bundle/,
    );
  });
});
