// Reads every annotation of the table from a pod's annotations (injector-and-chart.md §2).
import { ANNOTATIONS, type AnnotationName, type AnnotationSpec, type AnnotationValues } from './table.js';
import { isTruthy, parseDecimal, trimAddress, wrapInt32 } from './values.js';

export interface ParsedAnnotations {
  readonly values: AnnotationValues;
  /** One line per value that was ignored (bad ints), as upstream logs them. */
  readonly warnings: readonly string[];
}

function readOne(spec: AnnotationSpec, raw: string | undefined, warnings: string[]): unknown {
  const fallback = spec.default;
  if (raw === undefined) return fallback;
  switch (spec.kind) {
    case 'bool':
    case 'bool?':
      return isTruthy(raw);
    case 'int32':
    case 'int':
    case 'int?': {
      const n = parseDecimal(raw);
      if (n === undefined) {
        warnings.push(`invalid value "${raw}" for annotation ${spec.key}: not an integer; ignored`);
        return fallback;
      }
      return spec.kind === 'int32' ? wrapInt32(n) : n;
    }
    case 'string':
    case 'string?':
      return raw;
    case 'address?':
      return trimAddress(raw);
  }
}

/** The table as a list, built once: this runs on every admission request. */
const ENTRIES = Object.entries(ANNOTATIONS) as [AnnotationName, AnnotationSpec][];

export function parseAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
): ParsedAnnotations {
  const source = annotations ?? {};
  const warnings: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of ENTRIES) {
    const raw = Object.hasOwn(source, spec.key) ? source[spec.key] : undefined;
    values[name] = readOne(spec, raw, warnings);
  }
  return { values: values as AnnotationValues, warnings };
}
