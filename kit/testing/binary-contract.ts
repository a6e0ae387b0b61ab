// The process contract every control-plane binary keeps, as one reusable jest suite: health and
// metrics come up, SIGTERM ends the process cleanly, the command line behaves like Go's (help
// 0, usage error 2, invalid value 1), the chart's flag spellings are accepted, and Kubernetes
// mode refuses root. Each service's main.test.ts runs it with its own particulars.
import { afterEach, describe, expect, it } from '@jest/globals';
import { SKIP_UID_CHECK_ENV } from '../root-check.js';
import { httpRequest } from './http.js';
import { type ServiceName, startHealthyService, startService } from './service-binary.js';
import { killAllProcesses, type ManagedProcess } from './managed-process.js';

export interface BinaryContract {
  readonly service: ServiceName;
  /** The banner subject, e.g. `Dapr Placement Service`. */
  readonly title: string;
  /** Environment the service needs to start at all (e.g. the injector's SIDECAR_IMAGE). */
  readonly env: Readonly<Record<string, string>>;
  /** A flag upstream defines, which --help must list. */
  readonly upstreamFlag: string;
  /** Arguments as the Helm chart passes them (ports are added by the harness). */
  readonly chartArgs: readonly string[];
  /** Arguments that select Kubernetes mode ([] when the service always runs in Kubernetes). */
  readonly kubernetesArgs: readonly string[];
  /** Arguments every start that should become healthy needs (e.g. sentry's credentials directory). */
  readonly extraArgs?: () => readonly string[];
  /**
   * Kubernetes mode cannot become healthy without an apiserver (sentry): the chart's arguments
   * are then checked here in the default mode, and in Kubernetes mode by the integration tests.
   */
  readonly kubernetesNeedsApiserver?: boolean;
  /**
   * The service cannot become healthy anywhere but in a cluster (the operator needs the
   * apiserver and an SVID from sentry in every mode): the two "becomes healthy" checks are then
   * made by its integration test, against a real apiserver and sentry, instead of here.
   */
  readonly healthyOnlyInCluster?: boolean;
}

const TEST_TIMEOUT_MS = 30_000;

async function stopAndExpectCleanExit(proc: ManagedProcess): Promise<void> {
  proc.signalGroup('SIGTERM');
  const exit = await proc.waitForExit(5_000);
  expect(proc.output).toContain("Received signal 'terminated'; beginning shutdown");
  expect(exit).toBe(0);
}

export function describeBinaryContract(contract: BinaryContract): void {
  const { service } = contract;
  const skipUidCheck = { ...contract.env, [SKIP_UID_CHECK_ENV]: 'true' };
  const extraArgs = (): readonly string[] => contract.extraArgs?.() ?? [];

  describe(`the ${service} binary`, () => {
    afterEach(killAllProcesses);

    const healthyIt = contract.healthyOnlyInCluster ? (): void => undefined : it;

    healthyIt(
      'becomes healthy, serves metrics on any path, and exits 0 on SIGTERM',
      async () => {
        const { proc, healthzPort, metricsPort } = await startHealthyService(service, {
          env: skipUidCheck,
          args: extraArgs(),
        });
        expect(proc.output).toContain(`Starting ${contract.title} -- version `);
        expect(proc.output).toContain('Log level set to: info');
        const metrics = await httpRequest(`http://127.0.0.1:${metricsPort}/anything/at/all`);
        expect(metrics.status).toBe(200);
        expect(metrics.body).toMatch(/^process_start_time_seconds \d+/m);
        expect(metrics.body).toMatch(/^go_goroutines \d+/m);
        const other = await httpRequest(`http://127.0.0.1:${healthzPort}/readyz`);
        expect(other).toMatchObject({ status: 404, body: '404 page not found\n' });
        await stopAndExpectCleanExit(proc);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      `prints usage listing --${contract.upstreamFlag} and exits 0 on --help`,
      async () => {
        const proc = await startService(service, { args: ['--help'], env: contract.env });
        expect(await proc.waitForExit()).toBe(0);
        expect(proc.output).toContain(`--${contract.upstreamFlag}`);
        expect(proc.output).toMatch(/^Usage of /m);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'exits 2 with the error and usage on an unknown flag',
      async () => {
        const proc = await startService(service, { args: ['--no-such-flag'], env: contract.env });
        expect(await proc.waitForExit()).toBe(2);
        expect(proc.output).toContain('no-such-flag');
        expect(proc.output).toMatch(/^Usage of /m);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'exits 1 with the upstream message on an invalid --log-level',
      async () => {
        const proc = await startService(service, { args: ['--log-level=bogus'], env: skipUidCheck });
        expect(await proc.waitForExit()).toBe(1);
        expect(proc.output).toContain('invalid value for --log-level: bogus');
      },
      TEST_TIMEOUT_MS,
    );

    healthyIt(
      contract.kubernetesNeedsApiserver
        ? "accepts the chart's arguments (Kubernetes mode: see the integration tests)"
        : "accepts the chart's arguments in Kubernetes mode with the UID override",
      async () => {
        const mode = contract.kubernetesNeedsApiserver ? [] : contract.kubernetesArgs;
        const { proc } = await startHealthyService(service, {
          args: [...contract.chartArgs, ...mode, ...extraArgs()],
          env: skipUidCheck,
        });
        await stopAndExpectCleanExit(proc);
      },
      TEST_TIMEOUT_MS,
    );

    it(
      'refuses to start as root in Kubernetes mode without the override',
      async () => {
        const proc = await startService(service, {
          args: ['--healthz-port', '0', '--metrics-port', '0', ...contract.kubernetesArgs],
          env: { ...contract.env, [SKIP_UID_CHECK_ENV]: undefined },
        });
        if (process.geteuid?.() === 0) {
          expect(await proc.waitForExit()).toBe(1);
          expect(proc.output).toContain('Refusing to run as root');
        } else {
          // Not root: the check passes and the service goes on (to run, or to look for an apiserver).
          if (contract.kubernetesNeedsApiserver) await proc.waitForExit(10_000).catch(() => undefined);
          else await expect(proc.waitForExit(1_000)).rejects.toThrow('did not exit');
          expect(proc.output).toContain('Running in Kubernetes mode as user');
        }
      },
      TEST_TIMEOUT_MS,
    );
  });
}
