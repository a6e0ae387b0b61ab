// The body of /placement/state (docs/contracts/placement.md §6): Go encoding/json of StatePlacementTables,
// i.e. the generated structs' json tags, not protojson. Field order is the struct's, zero and
// empty fields are omitted, enums are numbers, map keys (namespaces) are sorted, hosts are
// sorted by name, and <, >, & are escaped as Go does. A follower answers `null`.
import type { Host } from '../proto/placement.js';
import type { NamespaceState } from '../loops/namespaces.js';

/** JSON.stringify of a string, plus Go's HTML-safe escapes. */
function goString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function hostJson(h: Host): string {
  const parts: string[] = [];
  const str = (key: string, v: string): void => {
    if (v !== '') parts.push(`"${key}":${goString(v)}`);
  };
  const num = (key: string, v: number | undefined): void => {
    if (v !== undefined && v !== 0) parts.push(`"${key}":${v}`);
  };
  str('name', h.name);
  num('port', h.port);
  num('load', h.load);
  if (h.entities.length > 0) parts.push(`"entities":[${h.entities.map(goString).join(',')}]`);
  str('id', h.id);
  str('pod', h.pod);
  num('api_level', h.apiLevel);
  str('namespace', h.namespace);
  num('operation', h.operation);
  if (h.version !== undefined) parts.push(`"version":${h.version}`); // a pointer: present even at 0
  return `{${parts.join(',')}}`;
}

function tableJson(t: NamespaceState): string {
  const parts: string[] = [];
  const hosts = [...t.hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (hosts.length > 0) parts.push(`"hosts":[${hosts.map(hostJson).join(',')}]`);
  if (t.version !== 0) parts.push(`"version":${t.version}`);
  return `{${parts.join(',')}}`;
}

/** The JSON for the leader's namespaces, or `null` when not the leader. */
export function placementStateJson(state: ReadonlyMap<string, NamespaceState> | undefined): string {
  if (state === undefined) return 'null';
  const namespaces = [...state.keys()].sort();
  if (namespaces.length === 0) return '{}';
  return `{"tables":{${namespaces.map((ns) => `${goString(ns)}:${tableJson(state.get(ns)!)}`).join(',')}}}`;
}
