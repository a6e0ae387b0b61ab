// Golden files (testdata/<case>.pod.json → <case>.patch.json, plus <case>.patched.json, the pod
// the patch yields): review diffs of these files show behaviour changes. An optional
// <case>.inputs.json holds injector env and request overrides. Regenerate with UPDATE_GOLDEN=1
// and read the diff against docs/contracts/injector-and-chart.md before committing it.
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { applyPatch } from './testing/apply-patch.js';
import { testConfig, type FixtureOverrides } from './testing/fixtures.js';
import type { Pod } from './k8s-types.js';
import { patchOutcome } from './admission.js';

const DIR = fileURLToPath(new URL('../../../sidecar-injector/testdata/', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(DIR)
  .filter((f) => f.endsWith('.pod.json'))
  .map((f) => f.slice(0, -'.pod.json'.length))
  .sort();

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(join(DIR, file), 'utf8')) as T;
}

function check(file: string, actual: unknown): void {
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (UPDATE) writeFileSync(join(DIR, file), text);
  expect(JSON.parse(readFileSync(join(DIR, file), 'utf8'))).toEqual(actual);
}

describe('injector §1.5 golden patches', () => {
  it('has at least 10 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases)('%s', (name) => {
    const pod = readJson<Pod>(`${name}.pod.json`);
    const inputsFile = `${name}.inputs.json`;
    const overrides = existsSync(join(DIR, inputsFile)) ? readJson<FixtureOverrides>(inputsFile) : {};
    const outcome = patchOutcome(pod, testConfig(pod, overrides));
    if (outcome.kind !== 'patch') {
      check(`${name}.patch.json`, outcome);
      return;
    }
    check(`${name}.patch.json`, outcome.ops);
    check(`${name}.patched.json`, applyPatch(pod, outcome.ops));
  });
});
