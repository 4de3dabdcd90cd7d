import type { TrainingProfile } from '../../domain/model/training-profile';
import { logisticRegression, parameterLayout } from '../../application/model/architecture';
import { encodeWeights } from '../../application/model/weights-codec';

/** Test factories for the model stores (no shared stubs: each call builds fresh values). */
export const weightsFile = (seed: number, inputDim = 3): Uint8Array => {
  const arch = logisticRegression(inputDim, 2);
  const p = parameterLayout(arch).reduce((n, b) => n + b.size, 0);
  const params = Float32Array.from({ length: p }, (_, i) => Math.sin(seed * 31 + i));
  return encodeWeights(arch, params);
};

export const trainingProfile = (over: Partial<TrainingProfile> = {}): TrainingProfile => ({
  C: 20,
  l2: 5e-4,
  loss: 'softmax-cross-entropy',
  lr: 1e-3,
  epochs: 5,
  batchSize: 64,
  seed: 42,
  dataDigest: 'a'.repeat(64),
  finalGradNorm: 0.01,
  backend: 'cpu',
  architecture: { kind: 'logistic-regression', inputDim: 3, classes: 2 },
  ...over,
});
