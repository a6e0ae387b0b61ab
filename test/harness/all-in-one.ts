// The all-in-one process (node dist/all-in-one/main.js) as a test's process against the test
// cluster, with the chart's settings for each service, for its integration test and bench/memory.
// The caller prepares the cluster as for the separate services: the control-plane namespace,
// Dapr's CRDs, daprsystem (naming sentry's address) and the injector's webhook configuration.
import { join } from 'node:path';
import { binaryPath, waitHealthy } from '../../kit/testing/service-binary.js';
import { ManagedProcess } from '../../kit/testing/managed-process.js';
import { CHART_ENV } from '../../sidecar-injector/patcher/testing/fixtures.js';
import type { TestCluster } from '../cluster/cluster.js';
import { freePorts } from './ports.js';
import { SKIP_UID_CHECK } from './sentry-in-cluster.js';

export interface AllInOnePorts {
  readonly sentry: number;
  readonly placement: number;
  readonly operator: number;
  readonly operatorWebhook: number;
  readonly injector: number;
  readonly healthz: number;
  readonly metrics: number;
}

export interface RunningAllInOne {
  readonly proc: ManagedProcess;
  readonly ports: AllInOnePorts;
}

export interface AllInOneStartOptions {
  readonly cluster: TestCluster;
  readonly dir: string;
  readonly namespace: string;
  /** Where the services read the trust anchors (the test writes it once sentry published them). */
  readonly anchorsFile: string;
  /** Taken instead of fresh ones (daprsystem must name the sentry port before the start). */
  readonly ports?: AllInOnePorts;
  readonly name?: string;
  /** Wait for /healthz 200 (default); false when the caller provides the trust anchors first. */
  readonly waitHealthy?: boolean;
  /** Placement with --tls-enabled, as the chart runs it (default true). */
  readonly placementTls?: boolean;
  /** More flags at the end of a service's group. */
  readonly groupArgs?: Readonly<
    Partial<Record<'sentry' | 'placement' | 'operator' | 'injector', readonly string[]>>
  >;
}

export async function allInOnePorts(): Promise<AllInOnePorts> {
  const [
    sentry = 0,
    placement = 0,
    operator = 0,
    operatorWebhook = 0,
    injector = 0,
    healthz = 0,
    metrics = 0,
  ] = await freePorts(7);
  return { sentry, placement, operator, operatorWebhook, injector, healthz, metrics };
}

/** The command line: common flags, then each service's group (docs/all-in-one.md). */
export function allInOneArgs(o: AllInOneStartOptions, ports: AllInOnePorts): string[] {
  const extra = o.groupArgs ?? {};
  const tls = o.placementTls ?? true;
  return [
    ...['--kubeconfig', o.cluster.kubeconfigPath, '--log-level', 'info'],
    ...['--healthz-port', String(ports.healthz), '--metrics-port', String(ports.metrics)],
    ...['sentry', '--port', String(ports.sentry), '--trust-domain', 'cluster.local', ...(extra.sentry ?? [])],
    ...['placement', '--port', String(ports.placement)],
    ...(tls
      ? ['--tls-enabled', '--trust-domain', 'cluster.local', '--trust-anchors-file', o.anchorsFile]
      : []),
    ...(extra.placement ?? []),
    ...['operator', '--port', String(ports.operator), '--webhook-server-port', String(ports.operatorWebhook)],
    ...['--trust-anchors-file', o.anchorsFile, ...(extra.operator ?? [])],
    ...['injector', '--port', String(ports.injector), ...(extra.injector ?? [])],
  ];
}

export async function startAllInOne(o: AllInOneStartOptions): Promise<RunningAllInOne> {
  const ports = o.ports ?? (await allInOnePorts());
  const name = o.name ?? 'all-in-one';
  const proc = await ManagedProcess.start({
    name,
    command: process.execPath,
    args: [binaryPath('all-in-one'), ...allInOneArgs(o, ports)],
    env: {
      ...CHART_ENV,
      NAMESPACE: o.namespace,
      DAPR_TRUST_ANCHORS_FILE: o.anchorsFile,
      // The test apiserver cannot reach a conversion webhook Service (test/integration/operator does the same).
      ENABLE_WEBHOOKS: 'false',
      ...SKIP_UID_CHECK,
    },
    logFile: join(o.dir, `${name}.log`),
  });
  if (o.waitHealthy ?? true) {
    try {
      await waitHealthy(proc, ports.healthz, `${name} to become healthy`, 90_000);
    } catch (err) {
      await proc.stop();
      throw err;
    }
  }
  return { proc, ports };
}
