import {
  byCodeUnits,
  canonicalJson,
  canonicalJsonBytes,
  NotCanonicalizableError,
} from './canonical-json';
import { isDomainError } from './domain-error';

/**
 * Golden vectors of RFC 8785 (JSON Canonicalization Scheme): the examples of §3.2.2–§3.2.4, the
 * number samples of Appendix B, and the reference implementation's `weird.json` test file
 * (github.com/cyberphone/json-canonicalization, testdata/). Inputs are parsed from the RFC's JSON
 * text with JSON.parse; expected outputs are the RFC's bytes.
 */
describe('RFC 8785 canonical JSON (golden vectors)', () => {
  const rfcInput = String.raw`{
    "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
    "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
    "literals": [null, true, false]
  }`;

  it('§3.2.2: serialises the example as the RFC does', () => {
    expect(canonicalJson(JSON.parse(rfcInput))).toBe(
      String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`,
    );
  });

  it('§3.2.4: yields the RFC UTF-8 bytes of that example, byte for byte', () => {
    const expected = [
      '7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72',
      '75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a',
      '5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31',
      '65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37',
      '5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30',
      '30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d',
    ]
      .join(' ')
      .replace(/ /g, '');
    expect(canonicalJsonBytes(JSON.parse(rfcInput)).toString('hex')).toBe(expected);
  });

  it('§3.2.3: sorts properties by UTF-16 code units', () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }`;
    // Compared as text: re-parsing would let JavaScript put the integer-like key "1" first.
    expect(canonicalJson(JSON.parse(input))).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
        '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('reference test file weird.json: sorting, escaping and non-ASCII kept as UTF-8', () => {
    const input = String.raw`{
      "\u20ac": "Euro Sign",
      "1": "One",
      "\u0080": "Control\u007f",
      "\ud83d\ude02": "Smiley",
      "\u00f6": "Latin Small Letter O With Diaeresis",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "</script>": "Browser Challenge"
    }`;
    expect(canonicalJson(JSON.parse(input))).toBe(
      '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f",' +
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
        '"\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  // Appendix B: IEEE 754 bit patterns and their canonical text.
  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('Appendix B: %s → %s', (bits, text) => {
    const value = Buffer.from(bits, 'hex').readDoubleBE(0);
    expect(canonicalJson([value])).toBe(`[${text}]`);
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['undefined', { a: undefined }],
    ['a bigint', { a: 1n }],
    ['a Date', { a: new Date(0) }],
    ['a lone surrogate', { a: '\ud800' }],
    ['a function', { a: () => 1 }],
  ])('refuses %s with NOT_CANONICALIZABLE', (_, value) => {
    expect(() => canonicalJson(value)).toThrow(
      expect.objectContaining({ code: 'NOT_CANONICALIZABLE' }),
    );
  });
});

describe('canonicalJson: the properties the digests rely on', () => {
  it('sorts members by UTF-16 code units, at every depth, with no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[true,null]},"b":1}',
    );
    // RFC 8785 §3.2.3: code-unit order, not locale order ("\u00e9" sorts after "z").
    expect(canonicalJson({ é: 1, z: 2, Z: 3 })).toBe('{"Z":3,"z":2,"é":1}');
    expect(['é', 'z', 'Z', '\ud83d\ude00', '\ufb33'].sort(byCodeUnits)).toEqual([
      'Z',
      'z',
      'é',
      '\ud83d\ude00',
      '\ufb33',
    ]);
  });

  it('gives the same text for the same value built in another key order', () => {
    expect(canonicalJson({ x: 'a', y: ['1', '2'] })).toBe(canonicalJson({ y: ['1', '2'], x: 'a' }));
  });

  it('keeps array order (arrays are sequences) and escapes strings as JSON does', () => {
    expect(canonicalJson(['b', 'a'])).not.toBe(canonicalJson(['a', 'b']));
    expect(canonicalJson('a"b\n')).toBe('"a\\"b\\n"');
  });

  it('writes numbers as ECMAScript does (-0 as 0)', () => {
    expect(canonicalJson([1e21, 0.1, -0, 100])).toBe('[1e+21,0.1,0,100]');
  });

  it('refuses with a domain error carrying the stable code and the path', () => {
    let error: unknown;
    try {
      canonicalJson({ a: [1, Number.NaN] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotCanonicalizableError);
    expect(isDomainError(error) && error.code).toBe('NOT_CANONICALIZABLE');
    expect(isDomainError(error) && error.kind).toBe('validation');
    expect(isDomainError(error) && error.details).toEqual({ path: '$.a[1]' });
  });
});
