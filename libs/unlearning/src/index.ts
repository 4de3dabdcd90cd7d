/**
 * @lethe/unlearning — certified unlearning for deep networks (Zhang et al., ICML 2024).
 *
 * Two halves:
 * - domain/ (pure TypeScript, float64): certified bound, Gaussian mechanism, privacy accountant,
 *   policy, membership-inference evidence, float64 reference models, seeded randomness, types.
 * - infrastructure/ + application/ (TensorFlow.js): backend selection, second-order-safe gradients,
 *   models as functions of a flat parameter vector, MNIST and synthetic data, projected Adam,
 *   exact HVPs, LiSSA / exact / CG inverse-HVPs, Lanczos constants, the Newton update with noise,
 *   sequential chains with the policy, evidence.
 * See libs/unlearning/README.md.
 */
export * from './domain';

// ---- TensorFlow.js runtime
export { tf } from './infrastructure/tf/tf';
export {
  initTensorflow,
  parseBackendMode,
  backendName,
  BACKEND_MODES,
  type BackendMode,
  type BackendInfo,
} from './infrastructure/tf/backend';
export { registerGradientFixes } from './infrastructure/tf/gradient-fixes';
export { softmaxCrossEntropy } from './infrastructure/tf/cross-entropy';
export { EngineErrorCode, unlearningError } from './infrastructure/errors';
export { yieldToEventLoop, type Progress, type ProgressCallback } from './infrastructure/progress';

// ---- Models as functions of their parameters
export {
  paperMnistMlp,
  mlp,
  logisticRegression,
  layerWidths,
  inputDim,
  classCount,
  parameterLayout,
  validateArchitecture,
  architectureJson,
  type Architecture,
  type MlpArchitecture,
  type LogisticRegressionArchitecture,
  type Activation,
  type ParamBlock,
} from './infrastructure/model/architecture';
export { initialParameters } from './infrastructure/model/init';
export { forwardLogits } from './infrastructure/model/forward';
export { Objective } from './infrastructure/model/objective';
export {
  distance,
  axpy,
  scale as scaleVector,
  projectToBall,
  allFinite,
  equalVectors,
  type FlatVector,
} from './infrastructure/model/flat-vector';
export {
  encodeWeights,
  decodeWeights,
  modelDigest,
  sha256Hex,
  WEIGHTS_MAGIC,
  WEIGHTS_FORMAT_VERSION,
} from './infrastructure/model/weights-codec';
export { addGaussianNoise } from './infrastructure/model/noise';

// ---- Data
export {
  makeDataset,
  datasetSize,
  selectRows,
  selectIds,
  rowsOfIds,
  withoutIds,
  concatDatasets,
  type Dataset,
} from './infrastructure/data/dataset';
export { DeviceData, type TensorBatch } from './infrastructure/data/device-data';
export { datasetDigest } from './infrastructure/data/digest';
export {
  loadMnist,
  MNIST_MEAN,
  MNIST_STD,
  MNIST_SIDE,
  MNIST_DIM,
} from './infrastructure/data/mnist';
export { trainTestSplit, forgetRetainSplit, type RecordedSplit } from './infrastructure/data/split';
export { gaussianBlobs, logisticData, maxRowNorm } from './infrastructure/data/synthetic';
export { augmentImages } from './infrastructure/data/augment';

// ---- Training
export { trainProjectedAdam, type TrainResult } from './infrastructure/training/train';
export {
  DEFAULT_RECIPE,
  type TrainingRecipe,
  type EngineTrainingProfile,
} from './infrastructure/training/recipe';

// ---- Hessians
export { hessianOperator, type SymmetricOperator } from './infrastructure/hessian/operator';
export {
  lissaInverseHvp,
  REPO_LISSA,
  type LissaSettings,
  type LissaResult,
} from './infrastructure/hessian/lissa';
export {
  denseMatrix,
  exactInverseHvp,
  DEFAULT_MAX_DENSE_PARAMS,
} from './infrastructure/hessian/exact';
export { luSolve } from './infrastructure/hessian/dense';
export { conjugateGradient, type CgResult } from './infrastructure/hessian/conjugate-gradient';
export {
  lanczosExtremes,
  powerExtremes,
  type SpectrumEstimate,
} from './infrastructure/hessian/spectrum';

// ---- Evaluation
export { evaluate, posteriors, type Evaluation } from './infrastructure/evaluation/evaluate';

// ---- Application (orchestration)
export {
  trainModel,
  retrainModel,
  saveWeights,
  loadWeights,
  type TrainedModel,
} from './application/trained-model';
export {
  inverseHvp,
  inverseHvpOnDataset,
  type InverseHvpMethod,
  type InverseHvpResult,
} from './application/inverse-hvp';
export {
  measureConstants,
  type ConstantsSettings,
  type MeasuredConstants,
} from './application/constants';
export {
  unlearn,
  type UnlearnRequest,
  type UnlearnOutcome,
  type UnlearnDiagnostics,
  type UnlearningMethod,
  type UpdateForm,
  type NewtonSettings,
  type CertificationSettings,
  type StartPoint,
} from './application/unlearn';
export {
  startSequentialChain,
  processDeletionRequest,
  chainStateDigest,
  type SequentialState,
  type SequentialPolicy,
  type SequentialSettings,
  type SequentialStep,
} from './application/sequential';
export { collectEvidence, type UnlearningEvidence } from './application/evidence';
export { exactGuarantee, boundGuarantee, type ReleaseGuarantee } from './application/guarantee';
