// Dapr's own integration suites with our binaries (docs/upstream-suites.md): every case recorded
// as passing in test/upstream/passing.json must still pass. Needs root (it creates the
// unprivileged user the cases run as), Go and ../shared/goproxy (to build the suites' binary
// once) and upstream's daprd and scheduler from the test cache. UPSTREAM_SUITES narrows the
// suites (comma-separated); the default is all four.
import { describe, expect, it } from '@jest/globals';
import { isSuite, SUITES, type Suite } from '../../upstream/cases.js';
import { runSuites } from '../../upstream/main.js';

const chosen: Suite[] = (process.env.UPSTREAM_SUITES ?? SUITES.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is Suite => {
    if (!isSuite(s))
      throw new Error(`UPSTREAM_SUITES names an unknown suite '${s}' (known: ${SUITES.join(', ')})`);
    return true;
  });

describe("Dapr's integration suites with our binaries", () => {
  it.each(chosen)(
    '%s: no case recorded as passing fails',
    async (suite) => {
      const { regressions, passing } = await runSuites({ suites: [suite], oursOnly: true, record: false });
      expect(passing[suite]?.length ?? 0).toBeGreaterThan(0);
      expect(regressions).toEqual([]);
    },
    45 * 60_000,
  );
});
