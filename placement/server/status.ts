// The one place a placement failure becomes a gRPC status. Anything outside PlacementError's
// closed set of kinds becomes INTERNAL with opaque text (the caller logs the full reason).
import { status } from '@grpc/grpc-js';
import type { StreamCodeName } from '../loops/events.js';
import { PlacementError, type PlacementErrorKind } from './authz.js';

export interface StreamStatus {
  readonly code: status;
  readonly details: string;
}

const CODES: Readonly<Record<PlacementErrorKind, status>> = {
  unauthenticated: status.UNAUTHENTICATED,
  invalidArgument: status.INVALID_ARGUMENT,
  permissionDenied: status.PERMISSION_DENIED,
  notLeader: status.FAILED_PRECONDITION,
  shuttingDown: status.UNAVAILABLE,
  deadlineExceeded: status.DEADLINE_EXCEEDED,
  resourceExhausted: status.RESOURCE_EXHAUSTED,
};

const LOOP_CODES: Readonly<Record<StreamCodeName, status>> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
  PermissionDenied: status.PERMISSION_DENIED,
  ResourceExhausted: status.RESOURCE_EXHAUSTED,
};

export function toStatus(err: unknown): StreamStatus {
  if (err instanceof PlacementError) return { code: CODES[err.kind], details: err.message };
  return { code: status.INTERNAL, details: 'internal error' };
}

/** A loop's `close` command as a status. */
export function loopStatus(code: StreamCodeName, details: string): StreamStatus {
  return { code: LOOP_CODES[code], details };
}
