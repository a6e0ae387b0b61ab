// Pod Security Admission `restricted` on the namespaces the tests run pods in, as OpenShift and
// hardened clusters enforce it: the chart's pods in dapr-system and the apps' pods with their
// injected daprd must pass it with the chart's default values (charts/dapr/README.md). An app's
// pod sets what `restricted` asks of it, for daprd too: a pod-level seccomp profile and
// runAsNonRoot, and per container no privilege escalation and no capability.
import type { ToolResult } from './tools.js';

export const RESTRICTED_LABELS: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
};

/** Creates the namespace if needed and has the apiserver enforce `restricted` on it. */
export async function enforceRestricted(
  kubectl: (args: readonly string[]) => Promise<ToolResult>,
  namespace: string,
): Promise<void> {
  const created = await kubectl(['create', 'namespace', namespace]);
  if (created.code !== 0 && !/AlreadyExists/.test(created.stderr)) {
    throw new Error(`kubectl create namespace ${namespace} failed: ${created.stderr}`);
  }
  const labels = Object.entries(RESTRICTED_LABELS).map(([k, v]) => `${k}=${v}`);
  const labelled = await kubectl(['label', '--overwrite', 'namespace', namespace, ...labels]);
  if (labelled.code !== 0) throw new Error(`labelling namespace ${namespace} failed: ${labelled.stderr}`);
}
