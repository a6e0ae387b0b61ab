// What one ReportDaprStatus stream may make the leader hold (docs/placement.md, Limits). Upstream
// has neither limit; both are far above what a real sidecar sends or lets queue up.
import { PlacementError } from './authz.js';
import type { Host } from '../proto/placement.js';

/**
 * Actor types one host may report. Apps register a handful (workflows add two); every report
 * is sorted and compared every second, so a long list costs each round.
 */
export const MAX_ENTITIES_PER_HOST = 1000;

/**
 * Bytes of orders written to one stream and not yet taken by its client. An honest daprd reads
 * each order as it comes; four orders of the largest table (4 MiB each) still fit. A client that
 * stops reading while it keeps acknowledging would otherwise make the leader buffer every round.
 */
export const MAX_BUFFERED_BYTES_PER_STREAM = 16 * 1024 * 1024;

/** The first limit a host message breaks, or undefined. */
export function checkHostLimits(host: Host): PlacementError | undefined {
  if (host.entities.length > MAX_ENTITIES_PER_HOST) {
    return new PlacementError(
      'resourceExhausted',
      `host ${host.name} reports ${host.entities.length} actor types, more than the limit of ${MAX_ENTITIES_PER_HOST}`,
    );
  }
  return undefined;
}
