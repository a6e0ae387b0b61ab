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

/** One row per schema node: `<path> <facts>`; sorted so that key order does not matter. */
export function schemaRows(schema: Schema, path = ''): string[] {
  const facts: string[] = [];
  if (schema.type) facts.push(`type=${schema.type}`);
  if (schema.format) facts.push(`format=${schema.format}`);
  if (schema.enum) facts.push(`enum=${JSON.stringify([...schema.enum].sort())}`);
  if (schema.default !== undefined) facts.push(`default=${JSON.stringify(schema.default)}`);
  if (schema.required?.length) facts.push(`required=${[...schema.required].sort().join(',')}`);
  if (schema.minLength !== undefined) facts.push(`minLength=${schema.minLength}`);
  if (schema.minItems !== undefined) facts.push(`minItems=${schema.minItems}`);
  if (schema['x-kubernetes-preserve-unknown-fields']) facts.push('preserve-unknown');
  if (schema['x-kubernetes-list-type']) facts.push(`list-type=${schema['x-kubernetes-list-type']}`);
  for (const v of schema['x-kubernetes-validations'] ?? []) facts.push(`cel=${v.rule.replace(/\s+/g, '')}`);
  const rows = [`${path || '.'} ${facts.join(' ')}`];
  for (const [key, child] of Object.entries(schema.properties ?? {}))
    rows.push(...schemaRows(child, `${path}.${key}`));
  if (schema.items) rows.push(...schemaRows(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') {
    rows.push(...schemaRows(schema.additionalProperties, `${path}{}`));
  }
  return rows.sort();
}
