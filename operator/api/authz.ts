// The namespace gate every RPC passes first (docs/contracts/operator.md §1.4): a caller with a workload SPIFFE
// ID may only ask about its own namespace, and the request must name one.
import { failedToDetermineIdentity, namespaceMismatch } from './errors.js';
import type { WorkloadCaller as Caller } from '../../kit/security/workload-caller.js';

export function authorize(caller: Caller | undefined, requestedNamespace: string): Caller {
  if (caller === undefined) throw failedToDetermineIdentity();
  if (requestedNamespace === '' || requestedNamespace !== caller.namespace)
    throw namespaceMismatch(requestedNamespace, caller.namespace);
  return caller;
}
