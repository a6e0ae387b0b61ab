import { describe, expect, it } from '@jest/globals';
import { HealthTargets } from '../kit/health-targets.js';
import { FakeKubeApi } from '../kit/kubernetes/testing/fake-api.js';
import { MetricsRegistry } from '../kit/metrics.js';
import type { SecurityProvider } from '../kit/security/provider.js';
import { operatorMetrics } from './metrics.js';
import { parseOptions, type OperatorOptions } from './options.js';
import { reconcileParts } from './reconcile-parts.js';

function options(argv: string[], env: NodeJS.ProcessEnv = {}): OperatorOptions {
  const outcome = parseOptions(argv, { NAMESPACE: 'dapr-system', ...env });
  if (outcome.kind !== 'run') throw new Error(`options: ${outcome.kind}`);
  return outcome.options;
}

function parts(o: OperatorOptions): { names: string[]; targets: HealthTargets; registry: MetricsRegistry } {
  const targets = new HealthTargets();
  const registry = new MetricsRegistry({ processMetrics: false });
  const runners = reconcileParts({
    options: o,
    api: new FakeKubeApi(),
    security: {} as SecurityProvider,
    targets,
    metrics: operatorMetrics(registry),
    registry,
  });
  return { names: runners.map((r) => r.name), targets, registry };
}

describe('reconcileParts', () => {
  it('runs the webhook and the CRD upkeep on every replica, the reconciler behind leader election', async () => {
    const { names, targets, registry } = parts(options([]));
    expect(names).toEqual(['conversion-webhook', 'crd-ca-bundle', 'leader-election']);
    expect(targets.unhealthyTargets()).toEqual(['operator-webhook']);
    expect(await registry.scrape()).toMatch(/^dapr_operator_service_reconciler_workloads 0$/m);
  });

  it('has nothing to wait for with ENABLE_WEBHOOKS=false', () => {
    const { names, targets } = parts(options([], { ENABLE_WEBHOOKS: 'false' }));
    expect(names).toEqual(['leader-election']);
    expect(targets.isHealthy()).toBe(true);
  });

  it('declares no reconciler with --disable-service-reconciler', async () => {
    const { registry } = parts(options(['--disable-service-reconciler']));
    expect(await registry.scrape()).not.toContain('dapr_operator_service_reconciler_workloads');
  });
});
