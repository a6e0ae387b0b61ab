// The steps every control-plane binary takes before and after its own work, in upstream's
// order: options (exit 0/2 for help/usage, 1 for invalid values), logging, the banner, the
// Kubernetes root check, signal handling; at the end, the exit code from how the parts ended.
// Each service's app.ts calls these around its one service part (<service>.ts): startProcess,
// then runService with the service beside the health and metrics servers.
import type { CommonOptions } from './common-flags.js';
import { HealthzServer, type RouteHandler } from './healthz.js';
import { MetricsServer } from './metrics-server.js';
import type { MetricsRegistry } from './metrics.js';
import { HealthTargets } from './health-targets.js';
import type { KubeClient } from './kubernetes/client.js';
import type { SharedWatches } from './kubernetes/shared-watches.js';
import type { Signer } from './security/provider.js';
import { configureLogging, logger, type Logger } from './logger.js';
import type { OptionsOutcome } from './options.js';
import { checkNotRoot } from './root-check.js';
import { runGroup, type Runner } from './runner.js';
import { onTerminationSignals, type ShutdownSignal } from './signals.js';
import { buildInfo } from './version.js';

export interface ProcessSpec<O extends CommonOptions> {
  /** The main logger scope, e.g. `dapr.placement`. */
  readonly mainScope: string;
  /** Banner subject: `Starting <title> -- version … -- commit …`. */
  readonly title: string;
  readonly resolveOptions: (argv: readonly string[], env: NodeJS.ProcessEnv) => OptionsOutcome<O>;
  /** Whether the Kubernetes-only rules (the root check) apply. */
  readonly kubernetesMode: (options: O) => boolean;
}

export interface ProcessIo {
  readonly stderr: { write(text: string): unknown };
  readonly euid?: number;
}

export interface StartedProcess<O> {
  readonly kind: 'started';
  readonly options: O;
  readonly log: Logger;
  readonly targets: HealthTargets;
  readonly shutdown: ShutdownSignal;
}

export type Startup<O> = StartedProcess<O> | { readonly kind: 'exit'; readonly code: number };

/** Parses options and prepares the process; returns the exit code when it must not start. */
export function startProcess<O extends CommonOptions>(
  spec: ProcessSpec<O>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: ProcessIo = { stderr: process.stderr },
): Startup<O> {
  const log = logger(spec.mainScope);
  const outcome = spec.resolveOptions(argv, env);
  if (outcome.stderr !== '') io.stderr.write(outcome.stderr);
  if (outcome.kind === 'exit') return { kind: 'exit', code: outcome.code };
  if (outcome.kind === 'invalid') {
    // Logged before the options apply, so in the default text format.
    log.fatal(outcome.message);
    return { kind: 'exit', code: 1 };
  }
  const { options } = outcome;
  try {
    configureLogging(options.logging);
  } catch (err) {
    log.fatal(`Failed to apply logging options: ${err instanceof Error ? err.message : String(err)}`);
    return { kind: 'exit', code: 1 };
  }
  const { version, commit } = buildInfo(env);
  log.info(`Starting ${spec.title} -- version ${version} -- commit ${commit}`);
  log.info(`Log level set to: ${options.logging.level}`);

  const security = logger('dapr.runtime.security');
  const rootCheck = checkNotRoot({ kubernetesMode: spec.kubernetesMode(options), env, euid: io.euid });
  switch (rootCheck.kind) {
    case 'refused':
      security.fatal(rootCheck.message);
      return { kind: 'exit', code: 1 };
    case 'skipped':
      security.warn(rootCheck.message);
      break;
    case 'allowed':
      security.info(rootCheck.message);
      break;
    case 'not-applicable':
      break;
  }

  const targets = new HealthTargets();
  const shutdown = onTerminationSignals({ onShutdown: () => targets.markAllNotReady() });
  return { kind: 'started', options, log, targets, shutdown };
}

/** How long parts get to stop after SIGTERM before the process gives up on them. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Runs the parts until SIGTERM/SIGINT or until one ends; 0 for a clean stop, 1 if any part
 * failed (e.g. a port already in use) or did not stop in time.
 */
export async function runParts<O>(started: StartedProcess<O>, runners: readonly Runner[]): Promise<number> {
  const { log, shutdown, targets } = started;
  try {
    await runGroup(runners, shutdown.signal, { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS });
    log.info('Shutdown complete');
    return 0;
  } catch (err) {
    targets.markAllNotReady();
    log.fatal(`Fatal error, stopping: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    shutdown.dispose();
  }
}

/**
 * The two servers every service runs, as parts for runParts: /healthz on --healthz-port and the
 * Prometheus exporter on --metrics-port (bound to `metricsHost` when given: placement's quirk).
 * `routes` are extra paths on the healthz port (placement's /placement/state).
 */
export function observabilityParts<O extends CommonOptions>(
  started: StartedProcess<O>,
  registry: MetricsRegistry,
  metricsHost?: string,
  routes: ReadonlyMap<string, RouteHandler> = new Map(),
): Runner[] {
  const { options, log, targets } = started;
  const metricsServer = new MetricsServer({ ...options.metrics, host: metricsHost, registry, targets, log });
  const healthzServer = new HealthzServer({ port: options.healthzPort, targets, log });
  for (const [path, handler] of routes) healthzServer.addRoute(path, handler);
  return [
    { name: 'healthz-server', run: (signal) => healthzServer.run(signal) },
    { name: 'metrics-server', run: (signal) => metricsServer.run(signal) },
  ];
}

/** What a service adds to the observability servers (placement: its metrics host and /placement/state). */
export interface ObservabilityExtras {
  readonly metricsHost?: string;
  readonly routes?: ReadonlyMap<string, RouteHandler>;
}

/** What every <service>.ts is built from. */
export interface ServiceDeps<O> {
  readonly options: O;
  readonly env: NodeJS.ProcessEnv;
  readonly targets: HealthTargets;
  readonly log: Logger;
  /** The service declares its metrics here; the exporter serves them. */
  readonly registry: MetricsRegistry;
  /**
   * An apiserver client to use instead of connecting one of its own (the all-in-one process
   * shares one among its services); the service then leaves closing it to the owner.
   */
  readonly kube?: KubeClient;
  /**
   * The list-and-watches to subscribe to instead of running its own (the all-in-one process
   * shares one per collection among its services, docs/all-in-one.md); made over `kube` when
   * absent.
   */
  readonly watches?: SharedWatches;
  /**
   * How the service's SVID provider gets its certificate; default SignCertificate to sentry over
   * gRPC/TLS. The all-in-one process passes its in-process sentry (docs/all-in-one.md).
   */
  readonly sign?: Signer;
}

/** A whole service as one part of its process (sentry/sentry.ts, placement/placement.ts, …). */
export interface ServicePart extends Runner {
  readonly observability?: ObservabilityExtras;
}

/** Runs the service beside /healthz and the metrics exporter: runParts for a <service>.ts. */
export function runService<O extends CommonOptions>(
  started: StartedProcess<O>,
  registry: MetricsRegistry,
  service: ServicePart,
): Promise<number> {
  const { metricsHost, routes } = service.observability ?? {};
  return runParts(started, [...observabilityParts(started, registry, metricsHost, routes), service]);
}
