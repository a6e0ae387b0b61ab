// Who may say what on a ReportDaprStatus stream (docs/contracts/placement.md §3 "Validation on every message").
// Pure: the caller's SPIFFE identity (when mTLS is on) and one Host message in, the first broken
// rule out, as a PlacementError whose kind the edge maps to a gRPC code in one place.
import type { WorkloadCaller } from '../../kit/security/workload-caller.js';
import { HostOperation, type Host } from '../proto/placement.js';

export type PlacementErrorKind =
  | 'unauthenticated'
  | 'invalidArgument'
  | 'permissionDenied'
  | 'notLeader'
  | 'shuttingDown'
  | 'deadlineExceeded'
  | 'resourceExhausted';

export class PlacementError extends Error {
  override readonly name = 'PlacementError';
  readonly kind: PlacementErrorKind;

  constructor(kind: PlacementErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

const NO_CLIENT_ID = 'failed to get client ID from context';

export interface AuthorizeInput {
  /** Whether the server runs with --tls-enabled (then `caller` must be known). */
  readonly mtls: boolean;
  readonly caller: WorkloadCaller | undefined;
  readonly host: Host;
}

/** The rules, in upstream's order; returns the first violation, or undefined when allowed. */
export function authorizeHost({ mtls, caller, host }: AuthorizeInput): PlacementError | undefined {
  if (mtls && caller === undefined) return new PlacementError('unauthenticated', NO_CLIENT_ID);
  if (host.operation === HostOperation.UNKNOWN && host.version !== undefined)
    return new PlacementError(
      'invalidArgument',
      'both operation and version must be set or both must be unset',
    );
  if (host.id === '' || host.namespace === '')
    return new PlacementError('invalidArgument', 'host ID and namespace must be provided');
  if (mtls && caller !== undefined) {
    if (host.id !== caller.appId)
      return new PlacementError(
        'permissionDenied',
        `provided app ID ${host.id} doesn't match the one in the SPIFFE ID (${caller.appId})`,
      );
    if (host.namespace !== caller.namespace)
      return new PlacementError(
        'permissionDenied',
        `provided client namespace ${host.namespace} doesn't match the one in the SPIFFE ID (${caller.namespace})`,
      );
  }
  const forbidden = host.entities.find((e) => !reservedTypeIsAllowed(e, host.namespace, host.id));
  if (forbidden !== undefined)
    return new PlacementError(
      'permissionDenied',
      `entity ${forbidden} is not allowed for app ID ${host.id} in namespace ${host.namespace}`,
    );
  return undefined;
}

/** `dapr.internal.*` types belong to one app: dapr.internal.<namespace>.<app-id>[.anything]. */
export function reservedTypeIsAllowed(entity: string, namespace: string, appId: string): boolean {
  const parts = entity.split('.');
  if (parts[0] !== 'dapr' || parts[1] !== 'internal') return true;
  return parts.length >= 4 && parts[2] === namespace && parts[3] === appId;
}
