import {
  mlp,
  logisticRegression,
  paperMnistMlp,
  parameterCount,
  parameterLayout,
} from './architecture';
import { initialParameters } from '../../infrastructure/model/init';
import { decodeWeights, encodeWeights, modelDigest, WEIGHTS_MAGIC } from './weights-codec';

describe('weights file (stable binary layout)', () => {
  it('the paper MLP has 26,506 parameters in the documented layout', () => {
    const arch = paperMnistMlp();
    expect(parameterCount(arch)).toBe(26506);
    const blocks = parameterLayout(arch);
    expect(blocks.map((b) => [b.name, b.offset, b.size])).toEqual([
      ['dense0/kernel', 0, 784 * 32],
      ['dense0/bias', 25088, 32],
      ['dense1/kernel', 25120, 1024],
      ['dense1/bias', 26144, 32],
      ['dense2/kernel', 26176, 320],
      ['dense2/bias', 26496, 10],
    ]);
  });

  it('round-trips and has the documented header', () => {
    const arch = mlp([3, 2, 2], 'tanh');
    const params = initialParameters(arch, 1);
    const bytes = encodeWeights(arch, params);
    expect(Buffer.from(bytes.subarray(0, 8)).toString('ascii')).toBe(WEIGHTS_MAGIC);
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    expect(dv.getUint32(8, true)).toBe(1);
    const a = dv.getUint32(12, true);
    expect(Buffer.from(bytes.subarray(16, 16 + a)).toString('utf8')).toBe(
      '{"activation":"tanh","kind":"mlp","layers":[3,2,2]}',
    );
    const pOffset = 16 + a + ((4 - (a % 4)) % 4);
    expect(dv.getUint32(pOffset, true)).toBe(params.length);
    expect(dv.getFloat32(pOffset + 4, true)).toBe(params[0]);
    expect(bytes.length).toBe(pOffset + 4 + 4 * params.length);
    const back = decodeWeights(bytes);
    expect(back.arch).toEqual(arch);
    expect(Array.from(back.params)).toEqual(Array.from(params));
  });

  it('the digest is the SHA-256 of the bytes and changes with any weight', () => {
    const arch = logisticRegression(4, 2);
    const params = initialParameters(arch, 3);
    const d1 = modelDigest(arch, params);
    expect(d1).toMatch(/^[0-9a-f]{64}$/);
    expect(modelDigest(arch, Float32Array.from(params))).toBe(d1);
    const changed = Float32Array.from(params);
    changed[5] = (changed[5] as number) + 1e-6;
    expect(modelDigest(arch, changed)).not.toBe(d1);
  });

  it('refuses corrupted or mismatched files with a coded error', () => {
    const arch = mlp([3, 2, 2]);
    const bytes = encodeWeights(arch, initialParameters(arch, 1));
    const bad = Uint8Array.from(bytes);
    bad[0] = 0;
    expect(() => decodeWeights(bad)).toThrow(
      expect.objectContaining({ code: 'INVALID_WEIGHTS_FILE' }),
    );
    expect(() => decodeWeights(bytes.subarray(0, bytes.length - 4))).toThrow(
      expect.objectContaining({ code: 'INVALID_WEIGHTS_FILE' }),
    );
    expect(() => encodeWeights(arch, new Float32Array(3))).toThrow(
      expect.objectContaining({ code: 'INVALID_WEIGHTS_FILE' }),
    );
  });
});
