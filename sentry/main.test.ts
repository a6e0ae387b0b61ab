// sentry.md §6, observability.md §1, §4: the sentry binary's process contract.
import { describeBinaryContract } from '../kit/testing/binary-contract.js';

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
});
