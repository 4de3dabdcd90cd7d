import { mlp } from './architecture';
import { flattenParameters, unflattenParameters } from './parameters';

describe('flat parameter vector', () => {
  it('unflattens into the layout tensors and flattens back', () => {
    const arch = mlp([3, 2, 4]);
    const params = Float32Array.from({ length: 3 * 2 + 2 + 2 * 4 + 4 }, (_, i) => i);
    const tensors = unflattenParameters(arch, params);
    expect(tensors.map((t) => [t.name, t.shape, t.values.length])).toEqual([
      ['dense0/kernel', [3, 2], 6],
      ['dense0/bias', [2], 2],
      ['dense1/kernel', [2, 4], 8],
      ['dense1/bias', [4], 4],
    ]);
    expect(Array.from(tensors[2]!.values)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(Array.from(flattenParameters(arch, [...tensors].reverse()))).toEqual(Array.from(params));
    expect(() => unflattenParameters(arch, new Float32Array(3))).toThrow(
      expect.objectContaining({ code: 'INVALID_WEIGHTS_FILE' }),
    );
  });
});
