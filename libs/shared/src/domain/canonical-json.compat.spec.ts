import { canonicalJson } from './canonical-json';

/**
 * Before one canonical JSON, the governance context and the model store each had their own
 * serialiser, and digests made with them are stored (request content digests, model metadata
 * digests). They are kept here, verbatim, as oracles: on every input that can reach a stored
 * digest (JSON text parsed back, or values built from strings, numbers, null and arrays), RFC 8785
 * writes the same text, so those digests stay valid. Where they differ, RFC 8785 refuses the
 * input (it is not I-JSON) rather than writing something else.
 */
const formerGovernance = (value: unknown): string => {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(formerGovernance).join(',')}]`;
  const o = value as Record<string, unknown>;
  const members = Object.keys(o)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((k) => `${JSON.stringify(k)}:${formerGovernance(o[k] ?? null)}`);
  return `{${members.join(',')}}`;
};

const formerModelStore = (v: unknown): string => {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(formerModelStore).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${formerModelStore(o[k])}`)
    .join(',')}}`;
};

describe('canonicalJson agrees with the serialisers it replaced', () => {
  const corpus: readonly [string, unknown][] = [
    ['scalars', [null, true, false, 0, -0, 1, -1.5, 'x']],
    ['numbers', [1e21, 1e-7, 0.1, 333333333.3333333, 5e-324, 1.7976931348623157e308, 2 ** 53]],
    ['key order', { b: 1, a: { d: [true, null], c: 'x' }, B: 2, _: 3, '10': 4, '9': 5 }],
    ['unicode keys', { é: 1, z: 2, Z: 3, '\ud83d\ude00': 4, '\ufb33': 5, '\u0080': 6, 日本: 7 }],
    ['escapes', { s: 'a"b\\c\n\t\u0000\u001f\u007f\u2028</script>' }],
    ['nested', { a: [[[]], {}, [{ b: [{ c: null }] }]], e: { f: { g: { h: 'deep' } } } }],
    [
      'model metadata',
      {
        format: 'lethe.model-version.v1',
        modelId: 'm-1',
        version: 3,
        digest: 'sha256:ab',
        parentDigest: null,
        sizeBytes: 1234,
        trainingProfile: { l2: 0.01, epochs: 20, seed: 42, lossFn: 'logistic', sigma: 0.5 },
        storedAt: '2026-11-29T12:00:00.000Z',
      },
    ],
  ];

  it.each(corpus)('%s: the same text as both former serialisers', (_, value) => {
    // As stored digests are recomputed: from JSON text parsed back.
    const parsed = JSON.parse(JSON.stringify(value)) as unknown;
    expect(canonicalJson(parsed)).toBe(formerGovernance(parsed));
    expect(canonicalJson(parsed)).toBe(formerModelStore(parsed));
    expect(canonicalJson(value)).toBe(canonicalJson(parsed));
  });

  it.each([
    ['a lone surrogate', { a: '\ud800' }],
    ['NaN', { a: Number.NaN }],
    ['undefined', { a: undefined }],
  ])('differs only by refusing what is not I-JSON: %s', (_, value) => {
    expect(() => canonicalJson(value)).toThrow(
      expect.objectContaining({ code: 'NOT_CANONICALIZABLE' }),
    );
  });
});
