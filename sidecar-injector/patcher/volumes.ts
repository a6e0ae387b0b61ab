// The volumes the injector adds to the pod and daprd's own mounts (docs/contracts/injector-and-chart.md §3.5).
import type { SidecarConfig } from '../annotations/sidecar-config.js';
import type { MountList } from '../annotations/values.js';
import type { Pod, Volume, VolumeMount } from './k8s-types.js';
import { DAPRD_UDS_PATH } from './sidecar-args.js';

export const UDS_VOLUME = 'dapr-unix-domain-socket';
export const TOKEN_VOLUME = 'dapr-identity-token';
export const COMPONENTS_VOLUME = 'dapr-components-unix-domain-socket';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/dapr.io/sentrytoken';
export const TOKEN_EXPIRATION_SECONDS = 7200;

function tokenVolume(c: SidecarConfig): Volume {
  return {
    name: TOKEN_VOLUME,
    projected: {
      sources: [
        {
          serviceAccountToken: {
            audience: c.sentryTokenAudience,
            expirationSeconds: TOKEN_EXPIRATION_SECONDS,
            path: 'token',
          },
        },
      ],
      defaultMode: 420,
    },
  };
}

/** emptyDir volumes the injected component containers mount but the pod does not have. */
function injectedComponentVolumes(c: SidecarConfig, pod: Pod): Volume[] {
  const known = new Set([...(pod.spec?.volumes ?? []).map((v) => v.name), COMPONENTS_VOLUME]);
  const out: Volume[] = [];
  for (const container of c.injectedComponents) {
    for (const mount of container.volumeMounts ?? []) {
      if (known.has(mount.name)) continue;
      known.add(mount.name);
      out.push({ name: mount.name, emptyDir: {} });
    }
  }
  return out;
}

/** In order: UDS, token, then (fixing upstream's no-volumes bug) the component socket volumes. */
export function podVolumesToAdd(c: SidecarConfig, pod: Pod): Volume[] {
  const out: Volume[] = [];
  if (c.annotations.unixDomainSocketPath !== '')
    out.push({ name: UDS_VOLUME, emptyDir: { medium: 'Memory' } });
  if (c.injector.mountSentryToken) out.push(tokenVolume(c));
  if (c.usesPluggableComponents) {
    out.push({ name: COMPONENTS_VOLUME, emptyDir: {} }, ...injectedComponentVolumes(c, pod));
  }
  return out;
}

/** User mounts of dapr.io/volume-mounts[-rw] for volumes that exist in the pod. */
function userMounts(list: MountList, readOnly: boolean, pod: Pod, warnings: string[]): VolumeMount[] {
  const existing = new Set((pod.spec?.volumes ?? []).map((v) => v.name));
  const { mounts, warnings: bad } = list;
  warnings.push(...bad);
  const out: VolumeMount[] = [];
  for (const m of mounts) {
    if (!existing.has(m.volume)) {
      warnings.push(`volume ${m.volume} is not defined in the pod; mount skipped`);
      continue;
    }
    out.push(
      readOnly
        ? { name: m.volume, readOnly: true, mountPath: m.path }
        : { name: m.volume, mountPath: m.path },
    );
  }
  return out;
}

export function daprdVolumeMounts(c: SidecarConfig, pod: Pod, warnings: string[]): VolumeMount[] {
  const out = [
    ...userMounts(c.volumeMounts, true, pod, warnings),
    ...userMounts(c.volumeMountsRw, false, pod, warnings),
  ];
  if (c.annotations.unixDomainSocketPath !== '') out.push({ name: UDS_VOLUME, mountPath: DAPRD_UDS_PATH });
  if (c.injector.mountSentryToken)
    out.push({ name: TOKEN_VOLUME, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
  if (c.usesPluggableComponents) out.push({ name: COMPONENTS_VOLUME, mountPath: c.componentsSocketsFolder });
  return out;
}
