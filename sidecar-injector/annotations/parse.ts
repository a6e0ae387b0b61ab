// Reads every annotation of the table from a pod's annotations (docs/contracts/injector-and-chart.md §2).
import { ANNOTATIONS, type AnnotationName, type AnnotationSpec, type AnnotationValues } from './table.js';
import { isTruthy } from '../../kit/go-values.js';
import { parseDecimal, shownValue, trimAddress, wrapInt32 } from './values.js';

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
        warnings.push(
          `invalid value "${shownValue(raw)}" for annotation ${spec.key}: not an integer; ignored`,
        );
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

/** Built once, as this runs on every admission request: the defaults as one object (copied per
 * pod), and the table by annotation key, so only the annotations a pod has are parsed. */
const DEFAULTS: Record<string, unknown> = Object.fromEntries(
  (Object.entries(ANNOTATIONS) as [AnnotationName, AnnotationSpec][]).map(([name, spec]) => [
    name,
    spec.default,
  ]),
);
const BY_KEY = new Map<string, [AnnotationName, AnnotationSpec]>(
  (Object.entries(ANNOTATIONS) as [AnnotationName, AnnotationSpec][]).map(([name, spec]) => [
    spec.key,
    [name, spec],
  ]),
);

export function parseAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
): ParsedAnnotations {
  const warnings: string[] = [];
  const values: Record<string, unknown> = { ...DEFAULTS };
  for (const key in annotations) {
    if (!Object.hasOwn(annotations, key)) continue;
    const entry = BY_KEY.get(key);
    if (entry !== undefined) values[entry[0]] = readOne(entry[1], annotations[key], warnings);
  }
  return { values: values as AnnotationValues, warnings };
}
