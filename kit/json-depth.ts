// JSON nesting bound, checked before JSON.parse (docs/injector.md and docs/sentry.md, Limits).
// V8 parses deeply nested arrays in time that grows faster than their size (3 s for a 6 MiB
// body of '['), while Go's encoding/json, which upstream uses, refuses nesting past 10000.
// One linear pass over the text, skipping strings, finds the depth first.

/** Go's encoding/json limit (maxNestingDepth). */
export const MAX_JSON_DEPTH = 10_000;

/** Undefined when `text` nests at most `max` deep; otherwise the reason. */
export function jsonDepthProblem(text: string, max = MAX_JSON_DEPTH): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return `JSON nested more than ${max} deep`;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return undefined;
}
