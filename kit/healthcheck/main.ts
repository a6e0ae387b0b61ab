#!/usr/bin/env node
// /healthcheck in the dapr-ts image: the chart's `helm test` pod runs it with one name=url per
// control-plane target and it exits 0 only when every target answered 2xx within a minute.
import { setTimeout as sleep } from 'node:timers/promises';
import { checkAll, parseTargets } from './check.js';

let targets;
try {
  targets = parseTargets(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
const results = await checkAll(targets, {
  deadlineMs: 60_000,
  intervalMs: 2_000,
  requestTimeoutMs: 3_000,
  fetch: (url, init) => fetch(url, init),
  sleep: (ms) => sleep(ms),
  now: () => Date.now(),
});
for (const r of results) {
  process.stdout.write(r.healthy ? `healthy: ${r.name}\n` : `NOT HEALTHY: ${r.name} (${r.url}): ${r.last}\n`);
}
process.exit(results.every((r) => r.healthy) ? 0 : 1);
