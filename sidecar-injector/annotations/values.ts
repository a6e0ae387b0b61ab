// The value grammars of the dapr.io/* annotations (docs/contracts/injector-and-chart.md §2), besides IsTruthy
// booleans (kit/go-values.ts): decimal ints that fall back on error, the env and env-from-secret
// lists, volume mount lists and Kubernetes quantities. Pure functions; problems come back as
// warning text.

const DECIMAL = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * strconv.ParseInt(text, 10, 64): optional sign and decimal digits within int64, or undefined.
 * Values past 2^53 lose precision here; no annotation has a use for them.
 */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? undefined : Number(n);
}

/** What Go stores when an int64 is written into an int32 field: the low 32 bits, signed. */
export function wrapInt32(n: number): number {
  return Number(BigInt.asIntN(32, BigInt(n)));
}

/** Longest annotation value repeated in a warning: warnings reach logs and the apiserver. */
const SHOWN_VALUE_CHARS = 64;

/** An annotation value for a warning, cut to SHOWN_VALUE_CHARS with its full length noted. */
export function shownValue(value: string): string {
  if (value.length <= SHOWN_VALUE_CHARS) return value;
  return `${value.slice(0, SHOWN_VALUE_CHARS)}… (${value.length} characters)`;
}

const isQuote = (c: string | undefined): boolean => c === '"' || c === "'";

/**
 * Quotes (" and ') trimmed from both ends first, then whitespace, in that order. Index walks,
 * not a regex: `["']+$` retried at every quote of a long run, quadratic in the annotation.
 */
export function trimAddress(text: string): string {
  let start = 0;
  while (isQuote(text[start])) start++;
  let end = text.length;
  while (end > start && isQuote(text[end - 1])) end--;
  return text.slice(start, end).trim();
}

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

/** A comma starts a new entry only when a NAME= follows it, so values may hold commas. */
const ENTRY_BOUNDARY = /,(?=\s*[A-Za-z_][A-Za-z0-9_]*=)/;

/**
 * `K=V,K2=V2` (dapr.io/env): each entry is trimmed as a whole and cut at its first `=`; the key
 * and value are not trimmed separately. Entries without `=` are dropped.
 */
export function parseEnvList(text: string): KeyValue[] {
  if (text === '') return [];
  const out: KeyValue[] = [];
  for (const raw of text.split(ENTRY_BOUNDARY)) {
    const entry = raw.trim();
    const eq = entry.indexOf('=');
    if (eq < 0) continue;
    out.push({ key: entry.slice(0, eq), value: entry.slice(eq + 1) });
  }
  return out;
}

export interface SecretEnv {
  readonly name: string;
  /** Absent when the entry had several `:` and is dropped (its name still counts in DAPR_ENV_KEYS). */
  readonly secretKeyRef?: { readonly name: string; readonly key: string };
}

/** `K=secret` or `K=secret:key` (dapr.io/env-from-secret); with no `:` the key is the secret name. */
export function parseEnvFromSecret(text: string): SecretEnv[] {
  return parseEnvList(text).map(({ key, value }): SecretEnv => {
    const clean = value.trim();
    if (!clean.includes(':')) return { name: key, secretKeyRef: { name: clean, key: clean } };
    const parts = clean.split(':');
    if (parts.length !== 2) return { name: key };
    return { name: key, secretKeyRef: { name: parts[0]!.trim(), key: parts[1]!.trim() } };
  });
}

export interface MountRequest {
  readonly volume: string;
  readonly path: string;
}

const MAX_NAMED_INVALID = 10;

/**
 * `vol:/path,vol2:/path2` (dapr.io/volume-mounts[-rw]): each trimmed entry must split into exactly
 * two parts at `:`; others are skipped (and reported here, as a warning).
 */
/** A parsed mount list: the mounts, and a warning for each entry that was not one. */
export interface MountList {
  readonly mounts: readonly MountRequest[];
  readonly warnings: readonly string[];
}

export function parseVolumeMountList(text: string): { mounts: MountRequest[]; warnings: string[] } {
  const mounts: MountRequest[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(',')) {
    const parts = raw.trim().split(':');
    if (parts.length !== 2) {
      if (raw.trim() !== '') invalid.push(raw.trim());
      continue;
    }
    mounts.push({ volume: parts[0]!, path: parts[1]! });
  }
  // A few warnings name the entries; a list of a million bad entries gets one more line, not a
  // million (each warning is logged and sent back to the apiserver).
  const warnings = invalid
    .slice(0, MAX_NAMED_INVALID)
    .map((entry) => `invalid volume mount "${shownValue(entry)}": expected <volume>:<path>`);
  if (invalid.length > MAX_NAMED_INVALID) {
    warnings.push(`${invalid.length - MAX_NAMED_INVALID} more invalid volume mounts`);
  }
  return { mounts, warnings };
}

/** split(",") of a name list, as is: upstream does not trim, so "a, b" names "a" and " b". */
export function parseNameList(text: string): string[] {
  return text.split(',');
}
