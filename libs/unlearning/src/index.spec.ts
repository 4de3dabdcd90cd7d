import * as lib from '@lethe/unlearning';

describe('@lethe/unlearning public API', () => {
  it('exports both halves (domain maths and the tfjs engine)', () => {
    for (const name of [
      'certifiedBound',
      'calibrateSigma',
      'decideUnlearningAction',
      'membershipInferenceAttack',
      'lanczosMargin',
      'assertHonestGuarantee',
      'failedCertificationChecks',
      'fitLogisticRegression',
      'initTensorflow',
      'trainModel',
      'retrainModel',
      'unlearn',
      'processDeletionRequest',
      'lissaInverseHvp',
      'exactInverseHvp',
      'conjugateGradient',
      'measureConstants',
      'inverseHvpOnDataset',
      'loadMnist',
      'encodeWeights',
      'collectEvidence',
      'createTfjsEngine',
      'convexNewtonUnlearn',
      'convexRetrain',
      'trainConvexModel',
      'processConvexDeletionRequest',
      'calibrateConvexNewton',
      'assertHonestConvexGuarantee',
      'softmaxRegressionGradient',
      'keepConvexFactor',
      'solveWithKeptFactor',
      'buildSoftmaxHessianFactor',
      'downdateSoftmaxHessianFactor',
      'featurize',
      'mlpHiddenExtractor',
      'randomFeatureExtractor',
      'assertExtractorIndependent',
    ] as const) {
      expect(typeof (lib as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('keeps the float64 MLP test oracle out of the public API (it lives in src/testing)', () => {
    for (const name of [
      'mlpHessianVectorProduct',
      'mlpLoss',
      'mlpLossAndGradient',
      'mlpLayout',
      'fitSoftmax64',
    ])
      expect((lib as Record<string, unknown>)[name]).toBeUndefined();
  });

  it('the engine architecture matches the domain parameter count', () => {
    expect(lib.parameterCount(lib.paperMnistMlp())).toBe(26506);
    const arch = lib.mlp([3, 4, 2], 'tanh');
    expect(lib.decodeWeights(lib.encodeWeights(arch, lib.initialParameters(arch, 1))).arch).toEqual(
      arch,
    );
  });
});
