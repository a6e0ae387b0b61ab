// The daprd container itself (docs/contracts/injector-and-chart.md §3.1–3.8): identity, command line, ports,
// env, mounts, probes, security context and resources.
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import type {
  Container,
  ContainerPort,
  EnvVar,
  Pod,
  Probe,
  SecurityContext,
  Toleration,
} from './k8s-types.js';
import { DAPRD_PORTS } from '../../kit/dapr/daprd.js';
import { DAPRD_PUBLIC_PORT, daprdCommandLine } from './sidecar-args.js';
import { daprdEnv } from './sidecar-env.js';
import { daprdVolumeMounts } from './volumes.js';

export const SIDECAR_CONTAINER_NAME = 'daprd';
export const READINESS_PATH = '/v1.0/healthz';

export function daprdPorts(c: SidecarConfig): ContainerPort[] {
  const a = c.annotations;
  const ports: ContainerPort[] = [
    { name: 'dapr-http', containerPort: DAPRD_PORTS.http },
    { name: 'dapr-grpc', containerPort: a.grpcPort },
    { name: 'dapr-internal', containerPort: a.internalGrpcPort },
    { name: 'dapr-metrics', containerPort: a.metricsPort },
  ];
  if (a.enableDebug) ports.push({ name: 'dapr-debug', containerPort: a.debugPort });
  return ports;
}

export function daprdProbes(c: SidecarConfig): { readinessProbe: Probe; livenessProbe: Probe } {
  const a = c.annotations;
  return {
    livenessProbe: {
      tcpSocket: { port: DAPRD_PUBLIC_PORT },
      initialDelaySeconds: a.livenessDelay,
      timeoutSeconds: a.livenessTimeout,
      periodSeconds: a.livenessPeriod,
      failureThreshold: a.livenessThreshold,
    },
    readinessProbe: {
      httpGet: { path: READINESS_PATH, port: DAPRD_PUBLIC_PORT },
      initialDelaySeconds: a.readinessDelay,
      timeoutSeconds: a.readinessTimeout,
      periodSeconds: a.readinessPeriod,
      failureThreshold: a.readinessThreshold,
    },
  };
}

export function daprdSecurityContext(c: SidecarConfig, env: readonly EnvVar[]): SecurityContext {
  const inj = c.injector;
  if (env.some((e) => e.name === 'SSL_CERT_DIR')) {
    // Windows nodes: the certificate store needs ContainerAdministrator (§3.4).
    return {
      allowPrivilegeEscalation: false,
      runAsNonRoot: false,
      readOnlyRootFilesystem: false,
      windowsOptions: { runAsUserName: 'ContainerAdministrator' },
      ...(inj.dropAllCapabilities ? { capabilities: { drop: ['ALL'] } } : {}),
      ...seccomp(c),
    };
  }
  return {
    allowPrivilegeEscalation: false,
    runAsNonRoot: inj.runAsNonRoot,
    ...(inj.runAsUser !== undefined ? { runAsUser: inj.runAsUser } : {}),
    ...(inj.runAsGroup !== undefined ? { runAsGroup: inj.runAsGroup } : {}),
    readOnlyRootFilesystem: inj.readOnlyRootFilesystem,
    ...(inj.dropAllCapabilities ? { capabilities: { drop: ['ALL'] } } : {}),
    ...seccomp(c),
  };
}

function seccomp(c: SidecarConfig): Pick<SecurityContext, 'seccompProfile'> {
  const type = c.annotations.seccompProfileType;
  return type !== '' ? { seccompProfile: { type } } : {};
}

const TOLERATION_TEXT_FIELDS = ['key', 'operator', 'value', 'effect'] as const;

/** Field-by-field equality; an absent string equals "" as in Go's zero value. */
function sameToleration(a: Toleration, b: Toleration): boolean {
  return (
    TOLERATION_TEXT_FIELDS.every((f) => (a[f] ?? '') === (b[f] ?? '')) &&
    a.tolerationSeconds === b.tolerationSeconds
  );
}

/** Serverless nodes (ACI, ECI, …) need the program in `command` (§3.1). */
export function podHasEntrypointToleration(c: SidecarConfig, pod: Pod): boolean {
  const ignored = c.injector.ignoreEntrypointTolerations;
  return (pod.spec?.tolerations ?? []).some((t) => ignored.some((i) => sameToleration(t, i)));
}

export function daprdContainer(c: SidecarConfig, pod: Pod, warnings: string[]): Container {
  const line = daprdCommandLine(c);
  const env = daprdEnv(c);
  const split = podHasEntrypointToleration(c, pod);
  return {
    name: SIDECAR_CONTAINER_NAME,
    // Go omits an empty image (omitempty); the apiserver then rejects the pod, as upstream.
    ...(c.image !== '' ? { image: c.image } : {}),
    ...(split ? { command: line.slice(0, 1), args: line.slice(1) } : { args: line }),
    ports: daprdPorts(c),
    env,
    resources: c.resources ?? {},
    volumeMounts: daprdVolumeMounts(c, pod, warnings),
    ...daprdProbes(c),
    imagePullPolicy: c.injector.pullPolicy,
    securityContext: daprdSecurityContext(c, env),
    ...(c.nativeSidecar ? { restartPolicy: 'Always' } : {}),
  };
}
