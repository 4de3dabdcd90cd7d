/**
 * JSON with object keys sorted (recursively) and no whitespace: a stable byte form for the
 * stores' own integrity digests (not the certificate's RFC 8785 form, which the signer owns).
 * Only for plain JSON values (numbers are finite).
 */
export const canonicalJson = (v: unknown): string => {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
};
