// What the reconciler remembers of an existing `-dapr` Service: its owner and a fingerprint of
// exactly the fields the operator writes. Comparing fingerprints tells whether a workload or
// Service event needs a write; everything the apiserver adds (clusterIPs, ipFamilies,
// sessionAffinity, managedFields, status) is left out so that it never looks like a difference.
import type { DesiredService } from './desired-service.js';
import { workloadKey } from './workloads.js';

/** The kinds whose controller reference makes a Service ours. */
const OWNER_KINDS: ReadonlyMap<string, string> = new Map([
  ['Deployment', 'apps/v1'],
  ['StatefulSet', 'apps/v1'],
  ['Rollout', 'argoproj.io/v1alpha1'],
]);

export interface ObservedService {
  /** `namespace/name`. */
  readonly key: string;
  /** The workload key of the controller owner, if it is a kind we reconcile. */
  readonly ownerKey?: string;
  readonly fingerprint: string;
}

interface RawOwner {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
  readonly uid?: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

interface RawService {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
    readonly ownerReferences?: readonly RawOwner[];
  };
  readonly spec?: {
    readonly selector?: Record<string, string>;
    readonly clusterIP?: string;
    readonly ports?: readonly {
      readonly name?: string;
      readonly protocol?: string;
      readonly port?: number;
      readonly targetPort?: number | string;
    }[];
  };
}

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function sorted(map: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A canonical text of the written fields (key order and apiserver defaults do not matter). */
function fingerprintOf(svc: RawService): string {
  const m = svc.metadata ?? {};
  return JSON.stringify([
    sorted(m.labels),
    sorted(m.annotations),
    (m.ownerReferences ?? []).map((o) => [
      o.apiVersion,
      o.kind,
      o.name,
      o.uid,
      o.controller === true,
      o.blockOwnerDeletion === true,
    ]),
    sorted(svc.spec?.selector),
    svc.spec?.clusterIP ?? '',
    (svc.spec?.ports ?? []).map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port, p.targetPort ?? p.port]),
  ]);
}

export function desiredFingerprint(desired: DesiredService): string {
  return fingerprintOf(desired);
}

/** Reduces a listed or watched Service (selected by the `dapr.io/enabled=true` label). */
export function reduceService(raw: unknown): ObservedService | undefined {
  const svc = raw as RawService | null;
  const name = svc?.metadata?.name;
  const namespace = svc?.metadata?.namespace;
  if (typeof name !== 'string' || typeof namespace !== 'string') return undefined;
  const owner = svc?.metadata?.ownerReferences?.find((o) => o.controller === true);
  const ownerKind = owner?.kind === undefined ? undefined : OWNER_KINDS.get(owner.kind);
  const ownerKey =
    owner !== undefined && ownerKind === owner.apiVersion && typeof owner.name === 'string'
      ? workloadKey(owner.kind!, namespace, owner.name)
      : undefined;
  return { key: serviceKey(namespace, name), ownerKey, fingerprint: fingerprintOf(svc!) };
}
