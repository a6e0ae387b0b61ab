// The differential corpus: AdmissionReviews that both injectors answer with the same injector
// environment (the chart's defaults). It is built from
//  - every golden pod in sidecar-injector/testdata whose inputs the shared injector can serve
//    (cases that need another injector env are listed in SKIPPED_GOLDEN with the reason);
//  - one pod per dapr.io/* annotation with a valid value and one with an invalid value;
//  - the gate and caller rules (§1.3, §1.4): enabled spellings, app-id validation, the
//    already-injected skip, callers outside the allow list, system:masters, non-Pod kinds.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANNOTATIONS, type AnnotationKind } from '../../../sidecar-injector/annotations/table.js';
import type { ReviewUser } from './support.js';

export interface CorpusCase {
  readonly name: string;
  readonly pod: Record<string, unknown>;
  readonly namespace?: string;
  readonly user?: ReviewUser;
  readonly kind?: string;
}

const TESTDATA = fileURLToPath(new URL('../../../../sidecar-injector/testdata/', import.meta.url));

/** Golden cases that need an injector env or request facts other than the shared one. */
export const SKIPPED_GOLDEN: Readonly<Record<string, string>> = {
  'actors-on-scheduler':
    'needs ACTORS/REMINDERS_SERVICE_*, run-as ids and --scheduler-enabled=false on the injector',
  'go-quirks': 'needs REMINDERS_SERVICE_NAME=default on the injector',
  'native-sidecar-by-env': 'needs NATIVE_SIDECAR_ENABLED on the injector',
  'injected-components':
    'its component container comes from request facts; the corpus case "inject-pluggable-components" uses a real Component instead',
};

interface GoldenInputs {
  readonly env?: unknown;
  readonly schedulerEnabled?: unknown;
  readonly request?: { readonly namespace?: string; readonly [k: string]: unknown };
}

function goldenCases(all = false): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const file of readdirSync(TESTDATA).sort()) {
    if (!file.endsWith('.pod.json')) continue;
    const name = file.slice(0, -'.pod.json'.length);
    if (!all && SKIPPED_GOLDEN[name] !== undefined) continue;
    const inputsFile = join(TESTDATA, `${name}.inputs.json`);
    const inputs = existsSync(inputsFile)
      ? (JSON.parse(readFileSync(inputsFile, 'utf8')) as GoldenInputs)
      : undefined;
    const pod = JSON.parse(readFileSync(join(TESTDATA, file), 'utf8')) as Record<string, unknown>;
    out.push({ name: `golden/${name}`, pod, namespace: inputs?.request?.namespace });
  }
  return out;
}

/** A Deployment-made pod: generateName, labels, two containers (an app and a would-be component), one volume. */
export function corpusPod(
  annotations: Record<string, string>,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'diff-5d8f-', namespace: 'default', labels: { app: 'diff' }, annotations },
    spec: {
      containers: [
        { name: 'app', image: 'example/app:1', ports: [{ containerPort: 8080 }] },
        { name: 'comp', image: 'example/comp:1' },
      ],
      volumes: [{ name: 'data', emptyDir: {} }],
      serviceAccountName: 'default',
      ...spec,
    },
  };
}

/** Realistic valid values where "a string" is not enough to exercise the annotation. */
const VALID_STRINGS: Readonly<Record<string, string>> = {
  'dapr.io/env': 'A=1,LIST=x,y,B=two',
  'dapr.io/env-from-secret': 'K=s:key,P=plain',
  'dapr.io/sidecar-cpu-request': '250m',
  'dapr.io/sidecar-cpu-limit': '2',
  'dapr.io/sidecar-memory-request': '128Mi',
  'dapr.io/sidecar-memory-limit': '1Gi',
  'dapr.io/sidecar-listen-addresses': '0.0.0.0',
  'dapr.io/sidecar-seccomp-profile-type': 'RuntimeDefault',
  'dapr.io/unix-domain-socket-path': '/tmp/dapr-sock',
  'dapr.io/volume-mounts': 'data:/data',
  'dapr.io/volume-mounts-rw': 'data:/data-rw',
  'dapr.io/placement-host-address': ' "placement.example:50005" ',
  'dapr.io/scheduler-host-address': 'scheduler.example:50006',
  'dapr.io/pluggable-components': 'comp',
  'dapr.io/pluggable-components-sockets-folder': '/var/sockets',
  'dapr.io/component-container': '{"name":"c","image":"x"}',
  'dapr.io/sidecar-svc-annotations': 'a=b',
  'dapr.io/app-protocol': 'grpc',
  'dapr.io/log-level': 'debug',
  'dapr.io/block-shutdown-duration': '5s',
  'dapr.io/app-binding-options-timeout': '3s',
  'dapr.io/actors-disseminate-timeout': '2s',
  'dapr.io/sidecar-image': 'example/daprd:custom',
  'dapr.io/config': 'appconfig',
};

/** Values the injector cannot use as intended. */
const INVALID: Readonly<Record<AnnotationKind, string>> = {
  bool: 'maybe',
  'bool?': 'maybe',
  int32: 'twelve',
  int: '1e3',
  'int?': '-x',
  string: '',
  'string?': '',
  'address?': '  ',
};

const INVALID_STRINGS: Readonly<Record<string, string>> = {
  'dapr.io/env': 'no-equals-sign,=empty-key',
  'dapr.io/env-from-secret': 'K=a:b:c,NOVALUE',
  'dapr.io/sidecar-cpu-request': 'lots',
  'dapr.io/sidecar-memory-limit': '1.5.5Gi',
  'dapr.io/volume-mounts': 'missing:/nowhere,bad',
  'dapr.io/volume-mounts-rw': ':/x',
  'dapr.io/app-protocol': 'ftp',
  'dapr.io/component-container': '{not json',
  'dapr.io/placement-host-address': '""',
};

function valid(key: string, kind: AnnotationKind): string {
  if (VALID_STRINGS[key] !== undefined) return VALID_STRINGS[key];
  switch (kind) {
    case 'bool':
    case 'bool?':
      return 'true';
    case 'int32':
    case 'int':
    case 'int?':
      return '4321';
    default:
      return 'custom-value';
  }
}

function annotationCases(): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const spec of Object.values(ANNOTATIONS)) {
    if (spec.key === 'dapr.io/enabled' || spec.key === 'dapr.io/app-id') continue;
    const base = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'diff-app' };
    const short = spec.key.slice('dapr.io/'.length);
    out.push({ name: `valid/${short}`, pod: corpusPod({ ...base, [spec.key]: valid(spec.key, spec.kind) }) });
    const bad = INVALID_STRINGS[spec.key] ?? INVALID[spec.kind];
    out.push({ name: `invalid/${short}`, pod: corpusPod({ ...base, [spec.key]: bad }) });
  }
  return out;
}

function ruleCases(): CorpusCase[] {
  const on = { 'dapr.io/enabled': 'true', 'dapr.io/app-id': 'rules' };
  return [
    { name: 'gate/enabled-True', pod: corpusPod({ ...on, 'dapr.io/enabled': 'True' }) },
    { name: 'gate/enabled-yes', pod: corpusPod({ ...on, 'dapr.io/enabled': 'yes' }) },
    { name: 'gate/enabled-1', pod: corpusPod({ ...on, 'dapr.io/enabled': '1' }) },
    { name: 'gate/no-annotations', pod: corpusPod({}) },
    { name: 'app-id/upper-case', pod: corpusPod({ ...on, 'dapr.io/app-id': 'Orders' }) },
    { name: 'app-id/58-chars', pod: corpusPod({ ...on, 'dapr.io/app-id': 'a'.repeat(58) }) },
    { name: 'app-id/59-chars', pod: corpusPod({ ...on, 'dapr.io/app-id': 'a'.repeat(59) }) },
    { name: 'app-id/empty-generateName', pod: corpusPod({ 'dapr.io/enabled': 'true' }) },
    {
      name: 'app-id/from-pod-name',
      pod: {
        ...corpusPod({ 'dapr.io/enabled': 'true' }),
        metadata: { name: 'named-pod', namespace: 'default' },
      },
    },
    {
      name: 'skip/daprd-in-containers',
      pod: corpusPod(on, { containers: [{ name: 'daprd', image: 'x' }] }),
    },
    {
      name: 'skip/daprd-in-initContainers',
      pod: corpusPod(on, { initContainers: [{ name: 'daprd', image: 'x' }] }),
    },
    { name: 'no-containers-no-volumes', pod: { ...corpusPod(on), spec: {} } },
    {
      name: 'native-sidecar-with-init-containers',
      pod: corpusPod(
        { ...on, 'dapr.io/enable-native-sidecar': 'true' },
        { initContainers: [{ name: 'init', image: 'i' }] },
      ),
    },
    {
      name: 'aci-toleration-and-debug',
      pod: corpusPod(
        { ...on, 'dapr.io/enable-debug': 'true' },
        { tolerations: [{ key: 'azure.com/aci', effect: 'NoSchedule' }] },
      ),
    },
    {
      name: 'inject-pluggable-components',
      pod: corpusPod({ ...on, 'dapr.io/inject-pluggable-components': 'true' }),
    },
    {
      name: 'caller/unknown-user',
      pod: corpusPod(on),
      user: { username: 'alice', groups: ['system:authenticated'] },
    },
    {
      name: 'caller/system-masters',
      pod: corpusPod(on),
      user: { username: 'admin', groups: ['system:masters'] },
    },
    {
      name: 'caller/other-controller',
      pod: corpusPod(on),
      user: { username: 'system:serviceaccount:kube-system:endpoint-controller' },
    },
    {
      name: 'caller/statefulset-controller',
      pod: corpusPod(on),
      user: { username: 'system:serviceaccount:kube-system:statefulset-controller' },
    },
    { name: 'kind/not-a-pod', pod: corpusPod(on), kind: 'ConfigMap' },
    { name: 'namespace/team-b', pod: corpusPod(on), namespace: 'team-b' },
  ];
}

export function differentialCorpus(): CorpusCase[] {
  return [...goldenCases(), ...annotationCases(), ...ruleCases()];
}

/** For injectors with another environment: every golden pod and the rule cases. */
export function environmentCorpus(): CorpusCase[] {
  return [...goldenCases(true), ...ruleCases()];
}
