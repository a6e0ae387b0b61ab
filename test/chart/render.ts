// Renders charts/dapr with the cached helm and hands back the objects, for the chart tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { daprModuleDir } from '../harness/upstream-sentry.js';
import { repoRoot } from '../deps/paths.js';
import { Helm, type ToolResult } from '../harness/tools.js';

export const chartDir = join(repoRoot, 'charts', 'dapr');
export const SUBCHARTS = [
  'dapr_rbac',
  'dapr_operator',
  'dapr_placement',
  'dapr_sidecar_injector',
  'dapr_sentry',
  'dapr_scheduler',
  'dapr_config',
] as const;

/** A Kubernetes object as rendered (only the fields the tests read are typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // Rendered objects are free-form below metadata.
  [key: string]: unknown;
}

export interface Rendered {
  readonly objects: K8sObject[];
  readonly text: string;
  readonly find: (kind: string, name: string) => K8sObject;
}

export interface RenderOptions {
  readonly valuesFiles?: readonly string[];
  readonly set?: readonly string[];
  readonly namespace?: string;
}

export function renderArgs(opts: RenderOptions): string[] {
  return [
    '--namespace',
    opts.namespace ?? 'dapr-system',
    ...(opts.valuesFiles ?? []).flatMap((f) => ['-f', f]),
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
  ];
}

/** `helm template dapr charts/dapr`; rejects with helm's message when rendering fails. */
export async function render(helm: Helm, opts: RenderOptions = {}): Promise<Rendered> {
  const r = await templateRaw(helm, opts);
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
  const objects = parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
  return {
    objects,
    text: r.stdout,
    find: (kind, name) => {
      const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
      if (!o) throw new Error(`no ${kind} ${name} rendered`);
      return o;
    },
  };
}

export function templateRaw(helm: Helm, opts: RenderOptions = {}): Promise<ToolResult> {
  return helm.run(['template', 'dapr', chartDir, ...renderArgs(opts)]);
}

/**
 * Dapr 1.18.3's own values, as a user's values file would carry them: the parent chart's file
 * plus every subchart's defaults under its name (read from the Go module cache, never committed).
 */
export function upstreamValuesFiles(): { parent: string; full: string } {
  const dir = join(daprModuleDir(), 'charts', 'dapr');
  const full: Record<string, unknown> = {};
  for (const sub of SUBCHARTS) {
    full[sub] = parseAllDocuments(readFileSync(join(dir, 'charts', sub, 'values.yaml'), 'utf8'))[0]?.toJS();
  }
  return { parent: join(dir, 'values.yaml'), full: stringify(full) };
}

/** The pod template and kind of each control-plane workload. */
export function workloads(objects: readonly K8sObject[]): Array<{ obj: K8sObject; pod: PodTemplate }> {
  return objects
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => ({ obj: o, pod: (o.spec as { template: PodTemplate }).template }));
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: unknown }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    securityContext?: Record<string, unknown>;
    serviceAccountName?: string;
    affinity?: Record<string, unknown>;
    volumes?: Array<Record<string, unknown> & { name: string }>;
  };
}
