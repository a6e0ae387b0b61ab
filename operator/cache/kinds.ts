// The seven dapr.io kinds the API serves (docs/contracts/operator.md §3, §5.2): where each is listed and
// watched. Subscriptions are read at v2alpha1 (the storage version), which is the shape daprd
// expects in every subscription message (§1.3); the apiserver converts v1alpha1 objects.
import { DAPR_API_GROUP } from '../../kit/dapr/resources.js';

export interface DaprKind {
  readonly kind: string;
  readonly plural: string;
  readonly version: string;
}

export const DAPR_KINDS = {
  component: { kind: 'Component', plural: 'components', version: 'v1alpha1' },
  configuration: { kind: 'Configuration', plural: 'configurations', version: 'v1alpha1' },
  subscription: { kind: 'Subscription', plural: 'subscriptions', version: 'v2alpha1' },
  resiliency: { kind: 'Resiliency', plural: 'resiliencies', version: 'v1alpha1' },
  httpEndpoint: { kind: 'HTTPEndpoint', plural: 'httpendpoints', version: 'v1alpha1' },
  mcpServer: { kind: 'MCPServer', plural: 'mcpservers', version: 'v1alpha1' },
  workflowAccessPolicy: {
    kind: 'WorkflowAccessPolicy',
    plural: 'workflowaccesspolicies',
    version: 'v1alpha1',
  },
} as const satisfies Record<string, DaprKind>;

export type KindKey = keyof typeof DAPR_KINDS;
export const KIND_KEYS = Object.keys(DAPR_KINDS) as KindKey[];

/** The collection path: cluster-wide, or one namespace with --watch-namespace. */
export function collectionPath(kind: DaprKind, watchNamespace: string): string {
  const ns = watchNamespace === '' ? '' : `/namespaces/${encodeURIComponent(watchNamespace)}`;
  return `/apis/${DAPR_API_GROUP}/${kind.version}${ns}/${kind.plural}`;
}

export function apiVersionOf(kind: DaprKind): string {
  return `${DAPR_API_GROUP}/${kind.version}`;
}
