import { canonicalJson } from './canonical-json';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units, at every depth, with no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
    // RFC 8785 §3.2.3: code-unit order, not locale order ("\u00e9" sorts after "z").
    expect(canonicalJson({ é: 1, z: 2, Z: 3 })).toBe('{"Z":3,"z":2,"é":1}');
  });

  it('gives the same string for the same value built in another key order', () => {
    expect(canonicalJson({ x: 'a', y: ['1', '2'] })).toBe(canonicalJson({ y: ['1', '2'], x: 'a' }));
  });

  it('keeps array order (arrays are sequences) and escapes strings as JSON does', () => {
    expect(canonicalJson(['b', 'a'])).not.toBe(canonicalJson(['a', 'b']));
    expect(canonicalJson('a"b\n')).toBe('"a\\"b\\n"');
  });

  it('writes numbers as ECMAScript does and refuses non-finite ones', () => {
    expect(canonicalJson([1e21, 0.1, -0, 100])).toBe('[1e+21,0.1,0,100]');
    expect(() => canonicalJson(Number.NaN)).toThrow(RangeError);
  });
});
