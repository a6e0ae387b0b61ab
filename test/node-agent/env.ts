// A container's environment as a kubelet computes it: `envFrom` (ConfigMaps, Secrets, with
// prefix) first, then `env` in order — literal values with $(VAR) references to the variables
// defined before them, downward-API `fieldRef`s, `resourceFieldRef`s and ConfigMap/Secret key
// references — and the same $(VAR) expansion of `command` and `args`. Pure: the caller looks
// the referenced ConfigMaps and Secrets up beforehand.
import type {
  V1ConfigMap,
  V1Container,
  V1EnvVarSource,
  V1Pod,
  V1ResourceFieldSelector,
  V1Secret,
} from '@kubernetes/client-node';

export interface EnvSources {
  readonly pod: V1Pod;
  readonly container: V1Container;
  readonly podIp: string;
  readonly hostIp: string;
  readonly configMap: (name: string) => V1ConfigMap | undefined;
  readonly secret: (name: string) => V1Secret | undefined;
  /** Node allocatable, used for resourceFieldRef of unset limits. */
  readonly nodeAllocatable: {
    readonly cpu: string;
    readonly memory: string;
    readonly 'ephemeral-storage'?: string;
  };
}

export interface ResolvedEnv {
  /** Name → value, in definition order (a later definition replaces an earlier one). */
  readonly env: Map<string, string>;
  /** Problems that keep the container from starting (CreateContainerConfigError). */
  readonly errors: string[];
}

/**
 * Expands $(VAR) references as Kubernetes does: a defined variable is replaced, an undefined
 * one is left as written, `$$` is an escaped `$`, and an unterminated `$(` stays literal.
 */
export function expandVars(
  input: string,
  vars: ReadonlyMap<string, string> | Readonly<Record<string, string>>,
): string {
  const map: ReadonlyMap<string, string> =
    vars instanceof Map ? vars : new Map(Object.entries(vars as Readonly<Record<string, string>>));
  const lookup = (name: string): string | undefined => map.get(name);
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1]!;
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += c + next;
      i += 2;
    }
  }
  return out;
}

const BINARY_SUFFIX: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** A resource quantity ("500m", "64Mi", "1e3", "2") as a number of base units. */
export function parseQuantity(q: string): number {
  const m = /^([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity ${JSON.stringify(q)}`);
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  const suffix = m[3] ?? '';
  return base * (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix] ?? 1);
}

/** resourceFieldRef: limits (node allocatable when unset) or requests, divided and rounded up. */
export function resolveResourceField(
  ref: V1ResourceFieldSelector,
  container: V1Container | undefined,
  allocatable: EnvSources['nodeAllocatable'],
): string {
  const [kind, resource] = ref.resource.split('.', 2) as ['limits' | 'requests', string];
  const resources = container?.resources;
  const declared = kind === 'limits' ? resources?.limits?.[resource] : resources?.requests?.[resource];
  let value: number;
  if (declared !== undefined) value = parseQuantity(String(declared));
  else if (kind === 'requests' && resources?.limits?.[resource] !== undefined)
    value = parseQuantity(String(resources.limits[resource]));
  else if (kind === 'requests' && resource === 'cpu') value = 0;
  else value = parseQuantity((allocatable as Record<string, string | undefined>)[resource] ?? '0');
  // The apiserver defaults an unset divisor to "0", which means 1.
  const divisor = parseQuantity(String(ref.divisor ?? '1')) || 1;
  const n = value / divisor;
  // CPU rounds up to a whole divisor unit (at least 1 for a non-zero value), like a kubelet.
  return String(Math.ceil(n - 1e-9));
}

const BRACKET = /^metadata\.(labels|annotations)\['(.+)'\]$/;

type FieldGetter = (pod: V1Pod, ips: { podIp: string; hostIp: string }) => string;
const FIELDS: Readonly<Record<string, FieldGetter>> = {
  'metadata.name': (p) => p.metadata?.name ?? '',
  'metadata.namespace': (p) => p.metadata?.namespace ?? '',
  'metadata.uid': (p) => p.metadata?.uid ?? '',
  'metadata.labels': (p) => formatMap(p.metadata?.labels),
  'metadata.annotations': (p) => formatMap(p.metadata?.annotations),
  'spec.nodeName': (p) => p.spec?.nodeName ?? '',
  'spec.serviceAccountName': (p) => p.spec?.serviceAccountName ?? 'default',
  'status.podIP': (_p, ips) => ips.podIp,
  'status.podIPs': (_p, ips) => ips.podIp,
  'status.hostIP': (_p, ips) => ips.hostIp,
  'status.hostIPs': (_p, ips) => ips.hostIp,
};

/** A downward-API field path of a pod, or undefined when it is not supported. */
export function resolveFieldRef(
  pod: V1Pod,
  fieldPath: string,
  podIp: string,
  hostIp: string,
): string | undefined {
  const m = BRACKET.exec(fieldPath);
  if (m) {
    const map = m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations;
    return map?.[m[2]!] ?? '';
  }
  return Object.prototype.hasOwnProperty.call(FIELDS, fieldPath)
    ? FIELDS[fieldPath]!(pod, { podIp, hostIp })
    : undefined;
}

/** `key="value"` lines, sorted by key, as the downward API renders label and annotation maps. */
export function formatMap(map: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map![k])}`)
    .join('\n');
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function secretValue(s: V1Secret, key: string): string | undefined {
  if (s.data?.[key] !== undefined) return Buffer.from(s.data[key], 'base64').toString('utf8');
  return s.stringData?.[key];
}

/** Keys and values of an envFrom source, or undefined when the object does not exist. */
function envFromSource(
  src: EnvSources,
  from: NonNullable<V1Container['envFrom']>[number],
): Array<[string, string]> | undefined {
  if (from.configMapRef) {
    const cm = src.configMap(from.configMapRef.name ?? '');
    return cm && Object.entries(cm.data ?? {});
  }
  if (from.secretRef) {
    const s = src.secret(from.secretRef.name ?? '');
    return s && Object.keys(s.data ?? {}).map((k) => [k, secretValue(s, k) ?? '']);
  }
  return [];
}

function addEnvFrom(src: EnvSources, env: Map<string, string>, errors: string[]): void {
  for (const from of src.container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    const entries = envFromSource(src, from);
    if (entries === undefined) {
      const ref = from.configMapRef ?? from.secretRef;
      if (!ref?.optional)
        errors.push(`${from.configMapRef ? 'configmap' : 'secret'} "${ref?.name}" not found`);
      continue;
    }
    // Keys that are not valid variable names are skipped (a kubelet records an event).
    for (const [k, v] of entries) if (ENV_NAME.test(prefix + k)) env.set(prefix + k, v);
  }
}

function keyRefValue(src: EnvSources, vf: V1EnvVarSource, errors: string[]): string | undefined {
  const ref = vf.configMapKeyRef ?? vf.secretKeyRef;
  if (!ref) return undefined;
  const isCm = vf.configMapKeyRef !== undefined;
  const obj = isCm ? src.configMap(ref.name ?? '') : src.secret(ref.name ?? '');
  const value =
    obj === undefined ? undefined : isCm ? (obj as V1ConfigMap).data?.[ref.key] : secretValue(obj, ref.key);
  if (value === undefined && !ref.optional) {
    const kind = isCm ? 'ConfigMap' : 'Secret';
    errors.push(
      obj === undefined
        ? `${kind.toLowerCase()} "${ref.name}" not found`
        : `couldn't find key ${ref.key} in ${kind} ${src.pod.metadata?.namespace}/${ref.name}`,
    );
  }
  return value;
}

function valueFrom(src: EnvSources, name: string, vf: V1EnvVarSource, errors: string[]): string | undefined {
  if (vf.fieldRef) {
    const v = resolveFieldRef(src.pod, vf.fieldRef.fieldPath, src.podIp, src.hostIp);
    if (v === undefined) errors.push(`env ${name}: unsupported fieldRef ${vf.fieldRef.fieldPath}`);
    return v;
  }
  const rf = vf.resourceFieldRef;
  if (rf) {
    const all = [...(src.pod.spec?.containers ?? []), ...(src.pod.spec?.initContainers ?? [])];
    const target = rf.containerName ? all.find((c) => c.name === rf.containerName) : src.container;
    return resolveResourceField(rf, target, src.nodeAllocatable);
  }
  return keyRefValue(src, vf, errors);
}

/** The container's environment (without the Service-link and KUBERNETES_* variables). */
export function resolveEnv(src: EnvSources, base: ReadonlyMap<string, string> = new Map()): ResolvedEnv {
  const env = new Map<string, string>(base);
  const errors: string[] = [];
  addEnvFrom(src, env, errors);
  for (const e of src.container.env ?? []) {
    if (e.valueFrom) {
      const v = valueFrom(src, e.name, e.valueFrom, errors);
      if (v !== undefined) env.set(e.name, v);
    } else {
      env.set(e.name, expandVars(e.value ?? '', env));
    }
  }
  return { env, errors };
}

/** command and args with $(VAR) references expanded against the container's environment. */
export function expandCommand(
  container: V1Container,
  env: ReadonlyMap<string, string>,
): { command: string[]; args: string[] } {
  return {
    command: (container.command ?? []).map((s) => expandVars(s, env)),
    args: (container.args ?? []).map((s) => expandVars(s, env)),
  };
}
