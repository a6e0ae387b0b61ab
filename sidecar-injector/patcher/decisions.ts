// Whether a request gets a sidecar (docs/contracts/injector-and-chart.md §1.3, §1.4): small predicates named as
// rules, each returning a human reason (or undefined when the rule does not apply).
import { ANNOTATIONS } from '../annotations/table.js';
import type { Pod } from './k8s-types.js';
import { SIDECAR_CONTAINER_NAME } from './sidecar-container.js';
import { daprServiceName, DNS1123_LABEL_MAX_LENGTH, isDns1123Label } from '../../kit/dapr/app-id.js';

export const EMPTY_APP_ID_MESSAGE = `value for the ${ANNOTATIONS.appId.key} annotation is empty`;

export const BUILT_IN_ALLOWED_SERVICE_ACCOUNTS: readonly string[] = [
  'kube-system:replicaset-controller',
  'kube-system:replication-controller',
  'kube-system:deployment-controller',
  'kube-system:cronjob-controller',
  'kube-system:job-controller',
  'kube-system:statefulset-controller',
  'kube-system:daemon-set-controller',
  'openshift-operator-lifecycle-manager:olm-operator-serviceaccount',
  'tekton-pipelines:tekton-pipelines-controller',
  'mirrord:mirrord-operator',
];

export interface UserInfo {
  readonly username?: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
}

export interface AllowedCaller {
  readonly namespace: string;
  readonly name: string;
}

export function requestIsNotForAPod(kind: string | undefined): string | undefined {
  return kind === 'Pod' ? undefined : `request is for a ${kind ?? 'missing kind'}, not a Pod`;
}

/** The webhook's gate is stricter than IsTruthy: only a case-insensitive "true" passes. */
export function daprIsNotEnabled(pod: Pod): string | undefined {
  const value = pod.metadata?.annotations?.[ANNOTATIONS.enabled.key];
  return value?.toLowerCase() === 'true' ? undefined : `${ANNOTATIONS.enabled.key} is not "true"`;
}

export function sidecarIsAlreadyPresent(pod: Pod): string | undefined {
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return all.some((c) => c.name === SIDECAR_CONTAINER_NAME)
    ? `a ${SIDECAR_CONTAINER_NAME} container already exists`
    : undefined;
}

/** The denial message for an app-id the pod cannot run with, or undefined when it is valid. */
export function appIdIsInvalid(appId: string): string | undefined {
  if (appId === '') return EMPTY_APP_ID_MESSAGE;
  const service = daprServiceName(appId);
  if (!isDns1123Label(service)) {
    return (
      `invalid app id "${appId}": "${service}" must be a DNS-1123 label of at most ${DNS1123_LABEL_MAX_LENGTH} characters ` +
      'made of lower-case letters, digits and "-", starting and ending with a letter or digit'
    );
  }
  return undefined;
}

interface ClassChar {
  readonly ch: string;
  readonly next: number;
}

/** One possibly escaped character of a class; "-" and "]" must be escaped, as in Go. */
function classChar(pattern: string, i: number): ClassChar | null {
  const ch = pattern[i];
  if (ch === undefined || ch === '-' || ch === ']') return null;
  if (ch !== '\\') return { ch, next: i + 1 };
  const escaped = pattern[i + 1];
  return escaped === undefined ? null : { ch: escaped, next: i + 2 };
}

function escapeClassChar(ch: string): string {
  return /[\\\][^-]/.test(ch) ? `\\${ch}` : ch;
}

/** A `[...]` class starting at `start`: the RegExp text and the index of its closing "]". */
function classToRegExp(pattern: string, start: number): { re: string; end: number } | null {
  let i = start + 1;
  const negate = pattern[i] === '^';
  if (negate) i += 1;
  const items: string[] = [];
  let ranges = 0;
  while (!(pattern[i] === ']' && ranges > 0)) {
    const lo = classChar(pattern, i);
    if (lo === null) return null;
    i = lo.next;
    let item = escapeClassChar(lo.ch);
    if (pattern[i] === '-') {
      const hi = classChar(pattern, i + 1);
      if (hi === null) return null;
      i = hi.next;
      // Go accepts a reversed range and it matches nothing.
      item = lo.ch <= hi.ch ? `${item}-${escapeClassChar(hi.ch)}` : '';
    }
    items.push(item);
    ranges += 1;
  }
  const body = items.join('');
  if (body === '') return { re: negate ? '[\\s\\S]' : '(?!)', end: i };
  return { re: `[${negate ? '^' : ''}${body}]`, end: i };
}

/** Go path.Match turned into a RegExp; a malformed pattern (ErrBadPattern) gives null. */
export function globToRegExp(pattern: string): RegExp | null {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\') {
      const next = pattern[++i];
      if (next === undefined) return null;
      out += escapeRegExp(next);
    } else if (ch === '[') {
      const cls = classToRegExp(pattern, i);
      if (cls === null) return null;
      out += cls.re;
      i = cls.end;
    } else out += escapeRegExp(ch);
  }
  return new RegExp(`${out}$`, 'u');
}

function escapeRegExp(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, (m) => `\\${m}`);
}

/** Compiled patterns: the allow list is fixed at start-up and checked on every request. */
const compiledGlobs = new Map<string, RegExp | null>();

export function globMatches(pattern: string, value: string): boolean {
  let re = compiledGlobs.get(pattern);
  if (re === undefined) {
    re = globToRegExp(pattern);
    if (compiledGlobs.size < 1024) compiledGlobs.set(pattern, re);
  }
  return re?.test(value) ?? false;
}

/**
 * The allow list from the built-ins plus ALLOWED_SERVICE_ACCOUNTS and the deprecated
 * ALLOWED_SERVICE_ACCOUNTS_PREFIX_NAMES (comma-separated, blanks skipped). A pattern without
 * exactly one ":" stops the injector from starting, so it is returned as an error.
 */
export function allowedCallers(extra: readonly string[]): { callers: AllowedCaller[]; errors: string[] } {
  const callers: AllowedCaller[] = [];
  const errors: string[] = [];
  for (const raw of [...BUILT_IN_ALLOWED_SERVICE_ACCOUNTS, ...extra.flatMap((s) => s.split(','))]) {
    const entry = raw.trim();
    if (entry === '') continue;
    const problem = callerPatternProblem(entry);
    if (problem !== undefined) {
      errors.push(`invalid allowed service account "${entry}": ${problem}`);
      continue;
    }
    const [namespace = '', name = ''] = entry.split(':').map((p) => p.trim());
    callers.push({ namespace, name });
  }
  return { callers, errors };
}

/** Why a trimmed `<namespace>:<name>` glob pair cannot be used, or undefined. */
function callerPatternProblem(entry: string): string | undefined {
  const parts = entry.split(':').map((p) => p.trim());
  if (parts.length !== 2) return 'must contain exactly one ":" separating namespace and name';
  const [namespace = '', name = ''] = parts;
  if (namespace === '' && name === '') return 'namespace and name patterns cannot both be empty';
  if (globToRegExp(namespace) === null) return `invalid namespace pattern "${namespace}"`;
  if (globToRegExp(name) === null) return `invalid service account pattern "${name}"`;
  return undefined;
}

const SA_PREFIX = 'system:serviceaccount:';

export interface CallerPolicy {
  readonly callers: readonly AllowedCaller[];
  /** UIDs of the allowed service accounts, listed once at start-up. */
  readonly uids?: ReadonlySet<string>;
}

export function callerIsNotAllowed(user: UserInfo, policy: CallerPolicy): string | undefined {
  if (user.groups?.includes('system:masters')) return undefined;
  if (user.uid !== undefined && policy.uids?.has(user.uid)) return undefined;
  const username = user.username ?? '';
  if (username.startsWith(SA_PREFIX)) {
    const parts = username.slice(SA_PREFIX.length).split(':');
    // Extra ":"-separated parts are ignored, as upstream.
    if (parts.length >= 2) {
      const [ns, name] = parts as [string, string];
      if (policy.callers.some((c) => globMatches(c.namespace, ns) && globMatches(c.name, name)))
        return undefined;
    }
  }
  return `caller ${username === '' ? '(unknown)' : username} is not allowed to inject a sidecar`;
}
