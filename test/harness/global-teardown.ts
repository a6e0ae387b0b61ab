// Runs once after all suites: kills any process of this run still alive and removes the run's
// temp dirs. Leftovers mean a test did not clean up after itself, so they fail the run loudly.
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_MARKER } from '../../kit/testing/managed-process.js';
import { reapNetwork, reapRun } from './reaper.js';

export default function globalTeardown(): void {
  const id = process.env[RUN_MARKER];
  if (id === undefined) return;
  const killed = reapRun(id);
  // Processes first: a namespace whose processes are gone is removed for good.
  const net = reapNetwork(id);
  const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith(`dapr-ts-${id}-`));
  for (const d of dirs) rmSync(join(tmpdir(), d), { recursive: true, force: true });
  const netCount = net.netns.length + net.links.length + net.etcNetns.length;
  if (killed.length > 0 || dirs.length > 0 || netCount > 0) {
    const netText =
      netCount > 0
        ? `, and network objects (removed: netns ${net.netns.join(' ') || '-'}; links ${net.links.join(' ') || '-'}; /etc/netns ${net.etcNetns.join(' ') || '-'})`
        : '';
    throw new Error(
      `the tests left ${killed.length} process(es) (killed: ${killed.join(', ')}) and ${dirs.length} temp dir(s) (removed: ${dirs.join(', ')})${netText} behind`,
    );
  }
}
