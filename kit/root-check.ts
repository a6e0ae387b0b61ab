// Kubernetes mode refuses to run as root, as daprd and the Go control plane do: a container
// running as UID 0 is a misconfigured securityContext, and Dapr's users rely on the refusal.
// The same environment override exists for test rigs that can only run as root.

export const SKIP_UID_CHECK_ENV = 'DAPR_UNSAFE_SKIP_CONTAINER_UID_GID_CHECK';

export type RootCheck =
  | { readonly kind: 'not-applicable' }
  | { readonly kind: 'skipped'; readonly message: string }
  | { readonly kind: 'allowed'; readonly message: string }
  | { readonly kind: 'refused'; readonly message: string };

export interface RootCheckInput {
  readonly kubernetesMode: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** Effective UID; injectable for tests. */
  readonly euid?: number;
}

/** Decides whether this process may run; the caller logs the message and exits on refusal. */
export function checkNotRoot(input: RootCheckInput): RootCheck {
  if (!input.kubernetesMode) return { kind: 'not-applicable' };
  if (input.env[SKIP_UID_CHECK_ENV] === 'true') {
    return {
      kind: 'skipped',
      message: `Skipping the container UID check because ${SKIP_UID_CHECK_ENV}=true`,
    };
  }
  const euid = input.euid ?? process.geteuid?.() ?? -1;
  if (euid === 0) {
    return {
      kind: 'refused',
      message:
        'Refusing to run as root (effective UID 0) in Kubernetes mode: run the container as a non-root user, ' +
        `or set ${SKIP_UID_CHECK_ENV}=true to override`,
    };
  }
  return { kind: 'allowed', message: `Running in Kubernetes mode as user ${euid}` };
}
