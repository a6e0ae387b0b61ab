// Pods as the suites look for them: an app's pods by their `app` label, those not being deleted,
// and whether they are Ready.
import type { V1Pod, V1PodList } from '@kubernetes/client-node';
import type { TestEnvironment } from './environment.js';

/** The pod's Ready condition is True. */
export const isPodReady = (p: V1Pod): boolean =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** The pods labelled `app=<app>` in `namespace` that are not being deleted. */
export async function livePods(env: TestEnvironment, namespace: string, app: string): Promise<V1Pod[]> {
  const pods = await env.agent.client.get<V1PodList>(
    `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3D${encodeURIComponent(app)}`,
  );
  return pods.items.filter((p) => p.metadata?.deletionTimestamp === undefined);
}
