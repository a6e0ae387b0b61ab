// The operator API's failures as gRPC statuses (docs/contracts/operator.md §1.8). daprd retries only
// UNAVAILABLE and RESOURCE_EXHAUSTED; everything else fails a fatal startup call at once, so
// UNAVAILABLE is used only while the caches have not listed yet.
import { status } from '@grpc/grpc-js';

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const failedToDetermineIdentity = (): ApiError =>
  new ApiError(status.PERMISSION_DENIED, 'failed to determine identity');

export const namespaceMismatch = (requested: string, actual: string): ApiError =>
  new ApiError(
    status.PERMISSION_DENIED,
    `identity does not match requested namespace exp=${requested} got=${actual}`,
  );

export const notSynced = (): ApiError =>
  new ApiError(status.UNAVAILABLE, 'operator caches are not synced yet');

export const shuttingDown = (): ApiError => new ApiError(status.UNAVAILABLE, 'operator is shutting down');

/** Anything else (a missing object, a secret that cannot be read) is UNKNOWN, as in Go. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(status.UNKNOWN, err instanceof Error ? err.message : String(err));
}
