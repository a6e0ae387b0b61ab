// The sidecar injector process: options, logging, signals and the observability servers
// (kit/service-main.ts) around the injector itself (injector.ts: SVID, caches, caBundle, /mutate).
import { MetricsRegistry } from '../kit/metrics.js';
import { runService, startProcess, type ProcessSpec } from '../kit/service-main.js';
import { Injector, injectorSettings } from './injector.js';
import { parseOptions, type InjectorOptions } from './options.js';

const spec: ProcessSpec<InjectorOptions> = {
  mainScope: 'dapr.injector',
  title: 'Dapr Sidecar Injector',
  resolveOptions: parseOptions,
  // The injector only runs in Kubernetes.
  kubernetesMode: () => true,
};

/** Runs the injector until SIGTERM/SIGINT; resolves with the process exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = startProcess(spec, argv, env);
  if (started.kind === 'exit') return started.code;
  const { options, log, targets } = started;
  const settings = injectorSettings(options, env, log);
  if (settings === undefined) return 1;
  const registry = new MetricsRegistry();
  const deps = { options, env, targets, log, registry, settings };
  const injector = await Injector.connect(deps, started.shutdown.signal);
  if (injector === undefined) return 1;
  return runService(started, registry, injector);
}
