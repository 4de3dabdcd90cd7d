/**
 * @lethe/unlearning — certified unlearning for deep networks (Zhang et al., ICML 2024).
 *
 * - domain/ (pure TypeScript, float64): certified bound, Lanczos margin, Gaussian mechanism,
 *   privacy accountant, policy, honesty gate, membership-inference evidence, the float64 logistic
 *   regression (used by the MIA), seeded randomness, types.
 * - application/: the use cases (train, retrain, unlearn, sequential chain, evidence) against the
 *   NumericEngine port, plus pure model/data helpers (architecture, flat vectors, datasets,
 *   weights file, noise).
 * - infrastructure/: the TensorFlow.js adapter (`createTfjsEngine`): backend selection,
 *   second-order-safe gradients, projected Adam, exact HVPs, LiSSA / exact / CG, Lanczos, data.
 * See libs/unlearning/README.md.
 */
export * from './domain';

// ---- Application: pure model and data helpers
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
} from './application/model/architecture';
export {
  distance,
  axpy,
  scale as scaleVector,
  projectToBall,
  allFinite,
  equalVectors,
  type FlatVector,
} from './application/model/flat-vector';
export {
  encodeWeights,
  decodeWeights,
  modelDigest,
  sha256Hex,
  WEIGHTS_MAGIC,
  WEIGHTS_FORMAT_VERSION,
} from './application/model/weights-codec';
export {
  addGaussianNoise,
  addReleaseNoise,
  standardNormals,
  cryptoRandomWords,
  type RandomWords,
} from './application/model/noise';
export {
  flattenParameters,
  unflattenParameters,
  type ParameterTensor,
} from './application/model/parameters';
export {
  makeDataset,
  datasetSize,
  selectRows,
  selectIds,
  rowsOfIds,
  withoutIds,
  concatDatasets,
  type Dataset,
} from './application/model/dataset';
export {
  DEFAULT_RECIPE,
  type TrainingRecipe,
  type EngineTrainingProfile,
} from './application/model/recipe';
export { EngineErrorCode, unlearningError } from './application/errors';
export { yieldToEventLoop, type Progress, type ProgressCallback } from './application/progress';

// ---- Application: the port and the use cases
export {
  REPO_LISSA,
  type NumericEngine,
  type TrainRequest,
  type TrainResult,
  type ObjectiveSpec,
  type Evaluation,
  type LissaSettings,
  type LissaResult,
  type InverseHvpMethod,
  type InverseHvpResult,
  type ConstantsSettings,
  type MeasuredConstants,
} from './application/ports/numeric-engine';
export {
  trainModel,
  retrainModel,
  saveWeights,
  loadWeights,
  type TrainedModel,
} from './application/trained-model';
export {
  unlearn,
  activationOf,
  DEFAULT_LANCZOS_ITERATIONS,
  type UnlearnRequest,
  type ExactUnlearnRequest,
  type PaperExperimentRequest,
  type CertifiedUnlearnRequest,
  type UnlearnOutcome,
  type PublicRelease,
  type UnlearnPrivate,
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
  type ExactPolicy,
  type PaperExperimentPolicy,
  type CertifiedPolicy,
  type SequentialStep,
  type PublicStep,
  type PrivateStep,
  type PublicReasonCode,
} from './application/sequential';
export {
  serializeSequentialState,
  deserializeSequentialState,
  type SerializedSequentialState,
} from './application/sequential-store';
export { collectEvidence, type UnlearningEvidence } from './application/evidence';
export {
  convexNewtonUnlearn,
  convexRetrain,
  trainConvexModel,
  convexCalibration,
  convexNewtonGuarantee,
  convexRetrainGuarantee,
  keepConvexFactor,
  type ConvexNewtonSettings,
  type ConvexUnlearnRequest,
  type ConvexOutcome,
  type ConvexPrivate,
} from './application/convex/convex-newton';
export {
  solveToTolerance,
  solveWithKeptFactor,
  type ConvexSolverSettings,
  type SolveResult,
} from './application/convex/solve-to-tolerance';
export {
  processConvexDeletionRequest,
  type ConvexNewtonPolicy,
  type ConvexStepOptions,
  type ConvexSequentialStep,
} from './application/convex/convex-sequential';
export { encodeKeptFactor, decodeKeptFactor } from './application/convex/factor-codec';
export {
  trainSisa,
  unlearnSisa,
  sisaAccuracy,
  sisaScores,
  ensembleDigest,
  ensembleDigestOf,
  constituentModel,
  type SisaAggregation,
  type SisaSettings,
  type SisaEnsemble,
  type SisaUnlearnOutcome,
  type SisaShardChange,
} from './application/sisa/sisa';
export {
  encodeSisaEnsemble,
  decodeSisaEnsemble,
  isSisaEnsembleFile,
} from './application/sisa/sisa-codec';
export {
  assignRecords,
  planDeletion,
  placeSubject,
  recordIsSubject,
  subjectPrefix,
  type SisaLayout,
  type SubjectKeyOf,
} from './domain/sisa/sisa-plan';
export {
  randomFeatureExtractor,
  mlpHiddenExtractor,
  extractorRecord,
  extractorDigest,
  assertExtractorIndependent,
  featurize,
  type FeatureExtractor,
  type ExtractorRecord,
  type ExtractorProvenance,
  type ExtractorKind,
} from './application/convex/feature-extractor';
export {
  exactGuarantee,
  certifiedGuarantee,
  uncertifiedGuarantee,
  type ReleaseGuarantee,
} from './application/guarantee';

// ---- Infrastructure: the TensorFlow.js engine
export { createTfjsEngine, tfjsEngine } from './infrastructure/engine/tfjs-engine';
export { tf } from './infrastructure/tf/tf';
export {
  initTensorflow,
  parseBackendMode,
  backendName,
  backendLabel,
  currentBackend,
  readNativeBuildStatus,
  NATIVE_BINDINGS,
  type NativeBinding,
  type NativeBuildStatus,
  BACKEND_MODES,
  type BackendMode,
  type BackendInfo,
} from './infrastructure/tf/backend';
export { registerGradientFixes } from './infrastructure/tf/gradient-fixes';
export { softmaxCrossEntropy } from './infrastructure/tf/cross-entropy';
export { initialParameters } from './infrastructure/model/init';
export { forwardLogits } from './infrastructure/model/forward';
export { Objective, type HvpPath, type ObjectiveOptions } from './infrastructure/model/objective';
export { analyticHvpSupported } from './infrastructure/model/dense-curvature';
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
export { trainProjectedAdam } from './infrastructure/training/train';
export { hessianOperator, type SymmetricOperator } from './infrastructure/hessian/operator';
export {
  lissaInverseHvp,
  lissaPath,
  type LissaOptions,
  type LissaPath,
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
export { inverseHvp, inverseHvpOnDataset } from './infrastructure/engine/inverse-hvp';
export { measureConstants } from './infrastructure/engine/constants';
export { evaluate, posteriors } from './infrastructure/evaluation/evaluate';

// ---- Training data behind a port, the public model store and the private chain store
export {
  DEFAULT_BATCH_SIZE,
  datasetRows,
  readDataset,
  type DatasetSource,
  type DatasetShape,
  type DatasetRow,
  type DatasetBatch,
  type DatasetReadOptions,
} from './application/ports/dataset-source.port';
export {
  datasetSourceDescriptorSchema,
  parseDatasetSourceDescriptor,
  type DatasetSourceDescriptor,
  type MnistSourceDescriptor,
  type FileSourceDescriptor,
} from './application/ports/dataset-source-descriptor';
export {
  DatasetSourceError,
  DatasetSourceErrorCode,
  isDatasetSourceError,
} from './application/ports/dataset-source.errors';
export {
  asReleasedWeights,
  WEIGHTS_BLOB_FORMAT,
  type ModelStore,
  type ModelVersionRecord,
  type PutModelVersion,
  type PublicWeights,
} from './application/ports/model-store.port';
export {
  sealPrivateChainState,
  sealPrivateFactor,
  type PrivateChainStore,
  type PrivateChainState,
  type PrivateFactorBytes,
  type PrivateWeightBytes,
} from './application/ports/private-chain-store.port';
export {
  ModelStoreError,
  ModelStoreErrorCode,
  isModelStoreError,
} from './application/ports/model-store.errors';
export { MnistDatasetSource } from './infrastructure/datasets/mnist-source';
export { FileDatasetSource, type FileSourceOptions } from './infrastructure/datasets/file-source';
export { createDatasetSource } from './infrastructure/datasets/create-dataset-source';
export { DirectoryModelStore } from './infrastructure/model-store/directory-model-store';
export { DirectoryPrivateChainStore } from './infrastructure/model-store/directory-private-chain-store';
