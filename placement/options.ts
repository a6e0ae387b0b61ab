// Placement's command line (docs/contracts/placement.md §6): upstream's flag names and defaults, every flag the
// Helm chart passes (raft ones included, though raft is not how we elect a leader), and the
// validation upstream applies (keepalive ranges).
import type { z } from 'zod';
import { COMMON_FLAGS, COMMON_RULES, commonOptions, type CommonOptions } from '../kit/common-flags.js';
import { defineFlags } from '../kit/flags.js';
import { isTruthy } from '../kit/go-values.js';
import { durationBetweenRule, flagsSchema, resolveOptions, type OptionsOutcome } from '../kit/options.js';
import { DEFAULT_MODE, DEFAULT_TRUST_ANCHORS_FILE, DEFAULT_TRUST_DOMAIN } from '../kit/common-flags.js';

export const DEFAULT_RAFT_ID = 'dapr-placement-0';
export const DEFAULT_INITIAL_CLUSTER = 'dapr-placement-0=127.0.0.1:8201';
export const DEFAULT_PLACEMENT_PORT = 50005;
/** --replicationFactor: the virtual nodes per host in the hash ring daprd builds from the table. */
export const DEFAULT_REPLICATION_FACTOR = 100;
export const KEEPALIVE_TIME_DEFAULT_MS = 2_000;
export const KEEPALIVE_TIME_MIN_MS = 1_000;
export const KEEPALIVE_TIME_MAX_MS = 10_000;
export const KEEPALIVE_TIMEOUT_DEFAULT_MS = 3_000;
export const KEEPALIVE_TIMEOUT_MIN_MS = 1_000;
export const KEEPALIVE_TIMEOUT_MAX_MS = 10_000;
export const DISSEMINATE_TIMEOUT_DEFAULT_MS = 8_000;
export const DISSEMINATE_COALESCE_WINDOW_DEFAULT_MS = 0;
export const ENV_METADATA_ENABLED = 'DAPR_PLACEMENT_METADATA_ENABLED';
// Leader election (docs/contracts/placement.md §5): a Lease replaces raft. These flags are dapr-ts additions
// (upstream has none); the defaults fail over about as fast as raft's 2–4 s.
export const DEFAULT_LEADER_LEASE_NAME = 'dapr-placement-leader';
export const LEADER_LEASE_DURATION_DEFAULT_MS = 4_000;
export const LEADER_RENEW_DEADLINE_DEFAULT_MS = 3_000;
export const LEADER_RETRY_PERIOD_DEFAULT_MS = 1_000;

/** Upstream's namespace lookup: NAMESPACE if present (even empty), else `default`. */
export function currentNamespace(env: NodeJS.ProcessEnv): string {
  return env.NAMESPACE ?? 'default';
}

const PLACEMENT_FLAGS = defineFlags({
  id: { kind: 'string', default: DEFAULT_RAFT_ID, usage: 'Placement server ID' },
  'initial-cluster': { kind: 'stringSlice', default: [DEFAULT_INITIAL_CLUSTER], usage: 'raft cluster peers' },
  'inmem-store-enabled': {
    kind: 'bool',
    default: true,
    usage: 'Enable in-memory log and snapshot store (unused: nothing is persisted)',
    ignored: true,
  },
  'raft-logstore-path': { kind: 'string', default: '', usage: 'raft log store path (unused)', ignored: true },
  port: {
    kind: 'int',
    default: DEFAULT_PLACEMENT_PORT,
    usage: 'sets the gRPC port for the placement service',
  },
  'listen-address': { kind: 'string', default: '', usage: 'The listening address for the placement service' },
  'tls-enabled': {
    kind: 'bool',
    default: false,
    usage: 'Should TLS be enabled for the placement gRPC server',
  },
  'metadata-enabled': {
    kind: 'bool',
    default: false, // from the environment: see placementFlags
    usage: 'Expose the placement tables on the healthz server',
  },
  replicationFactor: {
    kind: 'int',
    default: DEFAULT_REPLICATION_FACTOR,
    usage: 'sets the replication factor for actor distribution on virtual nodes',
  },
  'keepalive-time': {
    kind: 'duration',
    default: KEEPALIVE_TIME_DEFAULT_MS,
    usage: 'interval of the keepalive pings sent to daprd on the stream; between 1 and 10 seconds',
  },
  'keepalive-timeout': {
    kind: 'duration',
    default: KEEPALIVE_TIMEOUT_DEFAULT_MS,
    usage:
      'how long daprd may take to answer a keepalive ping before the stream is closed; between 1 and 10 seconds',
  },
  'disseminate-timeout': {
    kind: 'duration',
    default: DISSEMINATE_TIMEOUT_DEFAULT_MS,
    usage: 'time after which an unfinished dissemination round fails and silent daprds are dropped',
  },
  'disseminate-coalesce-window': {
    kind: 'duration',
    default: DISSEMINATE_COALESCE_WINDOW_DEFAULT_MS,
    usage: 'if >0, defer the next dissemination round by this window to batch membership changes',
  },
  'trust-domain': {
    kind: 'string',
    default: DEFAULT_TRUST_DOMAIN,
    usage: 'Trust domain for the Dapr control plane',
  },
  'trust-anchors-file': {
    kind: 'string',
    default: DEFAULT_TRUST_ANCHORS_FILE,
    usage: 'Filepath to the trust anchors for the Dapr control plane',
  },
  'sentry-address': {
    kind: 'string',
    default: 'dapr-sentry.default.svc:443', // from the environment: see placementFlags
    usage: 'Address of the Sentry service',
  },
  mode: { kind: 'string', default: DEFAULT_MODE, usage: 'Runtime mode for Placement' },
  kubeconfig: {
    kind: 'string',
    default: '',
    usage:
      'kubeconfig for the leader-election Lease when not running in a pod (default $KUBECONFIG; dapr-ts)',
  },
  'leader-election-lease-name': {
    kind: 'string',
    default: DEFAULT_LEADER_LEASE_NAME,
    usage: 'name of the coordination.k8s.io Lease the replicas elect a leader with, in $NAMESPACE (dapr-ts)',
  },
  'leader-election-lease-duration': {
    kind: 'duration',
    default: LEADER_LEASE_DURATION_DEFAULT_MS,
    usage: 'how long a lease not renewed keeps others from taking it (dapr-ts)',
  },
  'leader-election-renew-deadline': {
    kind: 'duration',
    default: LEADER_RENEW_DEADLINE_DEFAULT_MS,
    usage: 'the leader stops serving if it has not renewed its lease within this (dapr-ts)',
  },
  'leader-election-retry-period': {
    kind: 'duration',
    default: LEADER_RETRY_PERIOD_DEFAULT_MS,
    usage: 'interval of lease renewals, and of attempts to acquire it (dapr-ts)',
  },
  'max-api-level': {
    kind: 'int',
    default: 10,
    usage: 'ignored',
    hidden: true,
    deprecated: 'this flag will be removed in future releases',
    ignored: true,
  },
  'min-api-level': {
    kind: 'int',
    default: 0,
    usage: 'ignored',
    hidden: true,
    deprecated: 'this flag will be removed in future releases',
    ignored: true,
  },
  ...COMMON_FLAGS,
});

export type PlacementFlags = typeof PLACEMENT_FLAGS;

/** Two defaults come from the environment, as upstream computes them when defining the flags. */
export function placementFlags(env: NodeJS.ProcessEnv): PlacementFlags {
  return {
    ...PLACEMENT_FLAGS,
    'metadata-enabled': {
      ...PLACEMENT_FLAGS['metadata-enabled'],
      default: isTruthy(env[ENV_METADATA_ENABLED]),
    },
    'sentry-address': {
      ...PLACEMENT_FLAGS['sentry-address'],
      default: `dapr-sentry.${currentNamespace(env)}.svc:443`,
    },
  };
}

export interface RaftPeer {
  readonly id: string;
  readonly address: string;
}

/** `id=addr` entries; malformed ones are skipped, as upstream does. */
export function parsePeers(entries: readonly string[]): RaftPeer[] {
  return entries.flatMap((entry) => {
    const parts = entry.split('=');
    if (parts.length !== 2) return [];
    return [{ id: (parts[0] ?? '').trim(), address: (parts[1] ?? '').trim() }];
  });
}

export interface PlacementOptions extends CommonOptions {
  readonly raftId: string;
  readonly raftPeers: readonly RaftPeer[];
  readonly port: number;
  /** gRPC bind address; upstream also binds the metrics server to it. */
  readonly listenAddress: string;
  readonly tlsEnabled: boolean;
  readonly metadataEnabled: boolean;
  readonly replicationFactor: number;
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  readonly disseminateTimeoutMs: number;
  readonly disseminateCoalesceWindowMs: number;
  readonly trustDomain: string;
  readonly trustAnchorsFile: string;
  readonly sentryAddress: string;
  readonly mode: string;
  /** NAMESPACE: placement's own namespace. */
  readonly namespace: string;
  readonly kubeconfig: string;
  readonly leaderElection: LeaderElectionTimings & { readonly leaseName: string };
}

export interface LeaderElectionTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/** lease > renew deadline > retry period, or a fenced leader could still serve when the lease passes. */
function leaderTimingsProblem(t: LeaderElectionTimings): string | undefined {
  if (t.retryPeriodMs <= 0) return 'invalid value for leader-election-retry-period: must be positive';
  if (t.renewDeadlineMs <= t.retryPeriodMs) {
    return 'invalid value for leader-election-renew-deadline: must exceed leader-election-retry-period';
  }
  if (t.leaseDurationMs <= t.renewDeadlineMs) {
    return 'invalid value for leader-election-lease-duration: must exceed leader-election-renew-deadline';
  }
  return undefined;
}

/** Upstream's rules over the parsed flags, and the shaping into PlacementOptions. */
function schema(env: NodeJS.ProcessEnv): z.ZodType<PlacementOptions> {
  return flagsSchema(placementFlags(env))
    .extend({
      ...COMMON_RULES,
      'keepalive-time': durationBetweenRule('keepalive-time', KEEPALIVE_TIME_MIN_MS, KEEPALIVE_TIME_MAX_MS),
      'keepalive-timeout': durationBetweenRule(
        'keepalive-timeout',
        KEEPALIVE_TIMEOUT_MIN_MS,
        KEEPALIVE_TIMEOUT_MAX_MS,
      ),
    })
    .superRefine((v, ctx) => {
      const problem = leaderTimingsProblem({
        leaseDurationMs: v['leader-election-lease-duration'],
        renewDeadlineMs: v['leader-election-renew-deadline'],
        retryPeriodMs: v['leader-election-retry-period'],
      });
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform((v): PlacementOptions => ({
      ...commonOptions(v),
      raftId: v.id,
      raftPeers: parsePeers(v['initial-cluster']),
      port: v.port,
      listenAddress: v['listen-address'],
      tlsEnabled: v['tls-enabled'],
      metadataEnabled: v['metadata-enabled'],
      replicationFactor: v.replicationFactor,
      keepaliveTimeMs: v['keepalive-time'],
      keepaliveTimeoutMs: v['keepalive-timeout'],
      disseminateTimeoutMs: v['disseminate-timeout'],
      disseminateCoalesceWindowMs: v['disseminate-coalesce-window'],
      trustDomain: v['trust-domain'],
      trustAnchorsFile: v['trust-anchors-file'],
      sentryAddress: v['sentry-address'],
      mode: v.mode,
      namespace: currentNamespace(env),
      kubeconfig: v.kubeconfig,
      leaderElection: {
        leaseName: v['leader-election-lease-name'],
        leaseDurationMs: v['leader-election-lease-duration'],
        renewDeadlineMs: v['leader-election-renew-deadline'],
        retryPeriodMs: v['leader-election-retry-period'],
      },
    }));
}

export function parseOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): OptionsOutcome<PlacementOptions> {
  return resolveOptions(
    { program: 'placement', flags: placementFlags(env), schema: () => schema(env) },
    argv,
  );
}
