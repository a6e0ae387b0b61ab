// The sentry process: options, logging, signals and the observability servers (kit/service-main.ts)
// around sentry itself (sentry.ts: configuration, CA, validators, serving certificate, gRPC).
import { MetricsRegistry } from '../kit/metrics.js';
import { runService, startProcess, type ProcessSpec } from '../kit/service-main.js';
import { parseOptions, type SentryOptions } from './options.js';
import { Sentry } from './sentry.js';

const spec: ProcessSpec<SentryOptions> = {
  mainScope: 'dapr.sentry',
  title: 'Dapr Sentry certificate authority',
  resolveOptions: parseOptions,
  kubernetesMode: (options) => options.mode === 'kubernetes',
};

/** Runs sentry until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;
  const { options, log, targets } = started;
  const registry = new MetricsRegistry();
  return runService(started, registry, new Sentry({ options, env, targets, log, registry }));
}
