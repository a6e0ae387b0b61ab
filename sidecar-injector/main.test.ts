// injector-and-chart.md §1.2, §3.10, observability.md §1, §4: the injector binary's process contract.
import { describeBinaryContract } from '../kit/testing/binary-contract.js';

describeBinaryContract({
  service: 'sidecar-injector',
  title: 'Dapr Sidecar Injector',
  env: { NAMESPACE: 'dapr-system', SIDECAR_IMAGE: 'ghcr.io/dapr/daprd:1.18.3' },
  upstreamFlag: 'scheduler-enabled',
  // As the chart's Deployment passes them (the harness supplies --healthz-port and --metrics-port).
  chartArgs: ['--log-level', 'info', '--log-as-json', '--enable-metrics', '--scheduler-enabled=true'],
  kubernetesArgs: [],
});
