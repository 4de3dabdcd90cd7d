/** A JSON value as the canonical form takes it (no undefined, no functions, finite numbers). */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation: no whitespace, object members sorted by
 * the UTF-16 code units of their names, strings and numbers as ECMAScript `JSON.stringify` writes
 * them (which is what RFC 8785 §3.2.2 prescribes). Two values that are equal as JSON give the same
 * string, whatever the key order they were built with.
 */
export const canonicalJson = (value: JsonValue): string => {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const members = Object.keys(value)
    .sort(byCodeUnits)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`);
  return `{${members.join(',')}}`;
};

const isArray = (v: JsonValue): v is readonly JsonValue[] => Array.isArray(v);

/** Orders strings by UTF-16 code units (RFC 8785 §3.2.3), not by locale. */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
