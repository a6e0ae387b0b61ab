// Runs once before all suites: fixes the run id every process started by this run carries,
// so global-teardown can find anything a crashed test left behind.
import { runId, RUN_MARKER } from '../../kit/testing/managed-process.js';

export default function globalSetup(): void {
  process.env[RUN_MARKER] = runId;
}
