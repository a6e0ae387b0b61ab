// Names of the host objects a node agent creates, in one place so the reaper can find
// leftovers of a run. Interface names are limited to 15 characters by the kernel, too short
// for the run id: links carry it in their alias instead (`ip link set X alias ...`), network
// namespaces and /etc/netns dirs in their name.

/** The pod subnet range: 198.18.0.0/16, the lower half of RFC 2544's benchmarking block. */
export const POD_RANGE_PREFIX = '198.18';

/** Prefix of every network namespace (and /etc/netns/<name> dir) of a run. */
export function netnsPrefix(runId: string): string {
  return `dapr-ts-${runId}-`;
}

/** Alias prefix set on every link (bridge, veth) of a run. */
export function linkAliasPrefix(runId: string): string {
  return `dapr-ts-${runId}`;
}

/** Bridge of subnet 198.18.<index>.0/24. */
export function bridgeName(index: number): string {
  return `dts${index}br`;
}

/** Host end of a pod's veth pair; `seq` counts pods of the network. */
export function vethName(index: number, seq: number): string {
  const name = `dts${index}-${seq.toString(36)}`;
  if (name.length > 15) throw new Error(`interface name too long: ${name}`);
  return name;
}

export function podNetnsName(runId: string, index: number, seq: number): string {
  return `${netnsPrefix(runId)}n${index}-${seq.toString(36)}`;
}
