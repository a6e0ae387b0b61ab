// The Lease-based LeaderElector comes from kit/kubernetes/lease.ts, which is being written on
// another branch at the same time as this one. Until both are merged it is loaded by name at
// startup, so this branch builds without it; once it is on main this becomes a static import.
import type { ElectorFactory, LeaderElectionOptions, Elector } from './leadership.js';

interface LeaseModule {
  readonly LeaderElector: new (options: LeaderElectionOptions) => Elector;
}

const LEASE_MODULE = '../kit/kubernetes/lease.js';

export async function loadElectorFactory(): Promise<ElectorFactory> {
  let mod: LeaseModule;
  try {
    mod = (await import(LEASE_MODULE)) as LeaseModule;
  } catch (err) {
    throw new Error(
      `leader election is not available in this build (${LEASE_MODULE}: ${err instanceof Error ? err.message : String(err)}); run with --disable-leader-election`,
      { cause: err },
    );
  }
  return (options) => new mod.LeaderElector(options);
}
