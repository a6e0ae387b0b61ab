// Our crds/ against Dapr v1.18.3's own CRDs (read from the Go module cache at test time,
// never committed): the same names, versions, conversion settings and, node by node, the
// same schema facts. Descriptions are ours and printer columns are an addition.
import { describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../deps/paths.js';
import { daprModuleDir } from '../harness/upstream-sentry.js';
import { readCrd, schemaRows, type CrdDocument } from './crd-shape.js';

const ours = (): Map<string, CrdDocument> =>
  new Map(
    readdirSync(join(repoRoot, 'crds')).map((f) => [
      readCrd(join(repoRoot, 'crds', f)).metadata.name,
      readCrd(join(repoRoot, 'crds', f)),
    ]),
  );

const upstream = (): Map<string, CrdDocument> => {
  const dir = join(daprModuleDir(), 'charts', 'dapr', 'crds');
  return new Map(readdirSync(dir).map((f) => [readCrd(join(dir, f)).metadata.name, readCrd(join(dir, f))]));
};

describe('crds/ against the Dapr v1.18.3 CRDs', () => {
  const mine = ours();
  const theirs = upstream();

  it('defines the same seven CRDs', () => {
    expect([...mine.keys()].sort()).toEqual([...theirs.keys()].sort());
    expect(mine.size).toBe(7);
  });

  it.each([...theirs.keys()].sort())('%s: same names, scope, versions, labels and annotations', (name) => {
    const a = mine.get(name)!;
    const b = theirs.get(name)!;
    expect(a.spec.group).toBe(b.spec.group);
    expect(a.spec.scope).toBe(b.spec.scope);
    expect(a.spec.names).toEqual(b.spec.names);
    expect(a.metadata.labels).toEqual(b.metadata.labels);
    expect(a.metadata.annotations).toEqual(b.metadata.annotations);
    expect(a.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual(
      b.spec.versions.map((v) => [v.name, v.served, v.storage]),
    );
  });

  it.each([...theirs.keys()].sort())(
    '%s: every schema node has the same type, required list and rules',
    (name) => {
      const a = mine.get(name)!;
      const b = theirs.get(name)!;
      for (const [i, version] of b.spec.versions.entries()) {
        expect({
          version: version.name,
          rows: schemaRows(a.spec.versions[i]!.schema.openAPIV3Schema),
        }).toEqual({
          version: version.name,
          rows: schemaRows(version.schema.openAPIV3Schema),
        });
      }
    },
  );

  it('keeps the Subscription conversion webhook settings the operator patches', () => {
    expect(mine.get('subscriptions.dapr.io')!.spec.conversion).toEqual(
      theirs.get('subscriptions.dapr.io')!.spec.conversion,
    );
  });
});
