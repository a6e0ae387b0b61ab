// docs/contracts/operator.md §6, docs/contracts/observability.md §1, §4: the operator binary's process contract.
import { describeBinaryContract } from '../kit/testing/binary-contract.js';

describeBinaryContract({
  service: 'operator',
  title: 'Dapr Operator',
  env: { NAMESPACE: 'dapr-system' },
  upstreamFlag: 'watch-interval',
  // As the chart's Deployment passes them, plus Go-flag spellings the operator accepts.
  chartArgs: [
    '--watch-interval',
    '0',
    '--max-pod-restarts-per-minute',
    '20',
    '--log-level',
    'info',
    '--trust-anchors-file',
    '/var/run/secrets/dapr.io/tls/ca.crt',
    '--enable-metrics',
    '-log-as-json',
    '--watch-namespace=default',
    '-disable-service-reconciler',
    '--enable-argo-rollout-service-reconciler=false',
    '--watchdog-can-patch-pod-labels=true',
  ],
  kubernetesArgs: [],
  kubernetesNeedsApiserver: true,
  // Health, metrics, SIGTERM and the chart's arguments: test/integration/operator/api.test.ts.
  healthyOnlyInCluster: true,
});
