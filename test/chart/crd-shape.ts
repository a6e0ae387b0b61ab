// Flattens a CRD's OpenAPI schemas into comparable rows (path → type, required, enum, default,
// format, validations), leaving out prose: two CRDs with the same rows accept and refuse the
// same objects, whatever their descriptions say.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  default?: unknown;
  required?: string[];
  minLength?: number;
  minItems?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string }>;
}

export interface CrdDocument {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    scope: string;
    names: Record<string, unknown>;
    conversion?: unknown;
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: Schema };
      additionalPrinterColumns?: unknown[];
    }>;
  };
}

export function readCrd(path: string): CrdDocument {
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).filter((d) => d.contents !== null);
  if (docs.length !== 1) throw new Error(`${path}: expected one YAML document, found ${docs.length}`);
  return docs[0]!.toJS({ maxAliasCount: -1 }) as CrdDocument;
}

/** The facts of one node that decide what it accepts, each as `name=value`. */
const factsOf: Array<(s: Schema) => string | undefined> = [
  (s) => s.type && `type=${s.type}`,
  (s) => s.format && `format=${s.format}`,
  (s) => s.enum && `enum=${JSON.stringify([...s.enum].sort())}`,
  (s) => (s.default === undefined ? undefined : `default=${JSON.stringify(s.default)}`),
  (s) => (s.required?.length ? `required=${[...s.required].sort().join(',')}` : undefined),
  (s) => (s.minLength === undefined ? undefined : `minLength=${s.minLength}`),
  (s) => (s.minItems === undefined ? undefined : `minItems=${s.minItems}`),
  (s) => (s['x-kubernetes-preserve-unknown-fields'] ? 'preserve-unknown' : undefined),
  (s) => s['x-kubernetes-list-type'] && `list-type=${s['x-kubernetes-list-type']}`,
  (s) => s['x-kubernetes-validations']?.map((v) => `cel=${v.rule.replace(/\s+/g, '')}`).join(' '),
];

/** One row per schema node: `<path> <facts>`; sorted so that key order does not matter. */
export function schemaRows(schema: Schema, path = ''): string[] {
  const facts = factsOf.map((f) => f(schema)).filter((f): f is string => !!f);
  const rows = [`${path || '.'} ${facts.join(' ')}`];
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    rows.push(...schemaRows(child, `${path}.${key}`));
  if (schema.items) rows.push(...schemaRows(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') {
    rows.push(...schemaRows(schema.additionalProperties, `${path}{}`));
  }
  return rows.sort();
}
