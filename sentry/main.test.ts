// docs/contracts/sentry.md §6, docs/contracts/observability.md §1, §4: the sentry binary's process contract. Self-hosted, it
// keeps its CA in a temporary --issuer-credentials directory; Kubernetes mode, which needs an
// apiserver, is run by test/integration/sentry.
import { afterAll, beforeAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBinaryContract } from '../kit/testing/binary-contract.js';

let credentials = '';
beforeAll(() => {
  credentials = mkdtempSync(join(tmpdir(), 'sentry-main-'));
});
afterAll(() => rmSync(credentials, { recursive: true, force: true }));

describeBinaryContract({
  service: 'sentry',
  title: 'Dapr Sentry certificate authority',
  env: { NAMESPACE: 'dapr-system' },
  upstreamFlag: 'issuer-credentials',
  // As the chart's Deployment passes them (single-dash forms included, as Go accepts).
  chartArgs: [
    '--log-level',
    'info',
    '-log-as-json',
    '--enable-metrics',
    '--trust-domain',
    'cluster.local',
    '-issuer-ca-filename=ca.crt',
    '--issuer-certificate-filename',
    'issuer.crt',
    '--issuer-key-filename=issuer.key',
    '--jwt-enabled=false',
    '--oidc-enabled=false',
  ],
  kubernetesArgs: ['--mode', 'kubernetes'],
  extraArgs: () => ['--issuer-credentials', credentials],
  kubernetesNeedsApiserver: true,
});
