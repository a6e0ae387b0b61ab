// Kubernetes mode refuses root unless the documented override is set.
import { describe, expect, it } from '@jest/globals';
import { SKIP_UID_CHECK_ENV as SKIP, checkNotRoot } from './root-check.js';

describe('checkNotRoot', () => {
  it.each([
    { name: 'standalone mode, root', kubernetesMode: false, euid: 0, env: {}, kind: 'not-applicable' },
    { name: 'Kubernetes mode, root', kubernetesMode: true, euid: 0, env: {}, kind: 'refused' },
    {
      name: 'Kubernetes mode, root, override true',
      kubernetesMode: true,
      euid: 0,
      env: { [SKIP]: 'true' },
      kind: 'skipped',
    },
    {
      name: 'Kubernetes mode, root, override TRUE',
      kubernetesMode: true,
      euid: 0,
      env: { [SKIP]: 'TRUE' },
      kind: 'refused',
    },
    {
      name: 'Kubernetes mode, root, override 1',
      kubernetesMode: true,
      euid: 0,
      env: { [SKIP]: '1' },
      kind: 'refused',
    },
    { name: 'Kubernetes mode, non-root', kubernetesMode: true, euid: 65532, env: {}, kind: 'allowed' },
  ])('$name → $kind', ({ kubernetesMode, euid, env, kind }) => {
    expect(checkNotRoot({ kubernetesMode, euid, env }).kind).toBe(kind);
  });

  it('tells the operator how to override the refusal', () => {
    const check = checkNotRoot({ kubernetesMode: true, euid: 0, env: {} });
    expect(check.kind === 'refused' && check.message).toContain(
      'DAPR_UNSAFE_SKIP_CONTAINER_UID_GID_CHECK=true',
    );
  });
});
