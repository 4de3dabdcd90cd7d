import { datasetDigest } from '../../infrastructure/data/digest';
import { forgetRetainSplit } from '../../infrastructure/data/split';
import { gaussianBlobs } from '../../infrastructure/data/synthetic';
import type { Dataset } from '../../application/model/dataset';
import type { NumericEngine } from '../../application/ports/numeric-engine';
import type { StartPoint } from '../../application/unlearn';
import { startSequentialChain, type SequentialState } from '../../application/sequential';
import type { TrainedModel } from '../../application/trained-model';
import type { ConvexSolverSettings } from '../../application/convex/solve-to-tolerance';
import {
  trainConvexModel,
  type ConvexNewtonSettings,
  type ConvexOutcome,
} from '../../application/convex/convex-newton';
import type { ConvexNewtonPolicy } from '../../application/convex/convex-sequential';

/*
 * Test factories for the convex-newton use cases (not exported from the library): a seeded
 * softmax-regression problem, its model trained to τ, and the helpers that read outcomes.
 */

/** A seeded softmax-regression problem: Gaussian blobs, the records to forget, settings for τ. */
export interface ConvexProblem {
  readonly data: Dataset;
  readonly forget: Dataset;
  readonly l2: number;
  readonly tau: number;
  /** Per-release (ε, δ) = (1, 1e-5); the solver to τ in at most 5 steps. */
  readonly settings: ConvexNewtonSettings;
}

export const aConvexProblem = (o: {
  readonly n: number;
  readonly dim: number;
  readonly classes: number;
  readonly seed: string;
  readonly forgetCount: number;
  readonly forgetSeed: number;
  readonly tau: number;
  readonly l2?: number;
  /** Solver settings over the default (τ, 5 steps, exact Hessian). */
  readonly solver?: Partial<ConvexSolverSettings>;
}): ConvexProblem => {
  const data = gaussianBlobs({
    n: o.n,
    dim: o.dim,
    classes: o.classes,
    seed: o.seed,
    noise: 1.5,
  });
  const { forget } = forgetRetainSplit(data, { forgetCount: o.forgetCount, seed: o.forgetSeed });
  return {
    data,
    forget,
    l2: o.l2 ?? 0.05,
    tau: o.tau,
    settings: {
      epsilon: 1,
      delta: 1e-5,
      solver: { tolerance: o.tau, maxSteps: 5, hessian: 'exact', ...o.solver },
    },
  };
};

/** A softmax regression trained on `data` to the solver's τ, with `data`'s digest recorded. */
export const aTrainedConvexModel = (
  engine: NumericEngine,
  data: Dataset,
  p: Pick<ConvexProblem, 'l2' | 'settings'>,
): Promise<TrainedModel> =>
  trainConvexModel(engine, {
    data,
    l2: p.l2,
    solver: p.settings.solver,
    dataDigest: datasetDigest(data),
  });

/** The problem's model trained on D, as a request's start point and as a fresh sequential chain. */
export const aConvexStart = async (
  engine: NumericEngine,
  p: ConvexProblem,
): Promise<{ model: TrainedModel; start: StartPoint; state: SequentialState }> => {
  const model = await aTrainedConvexModel(engine, p.data, p);
  return {
    model,
    start: { arch: model.arch, params: model.params, recipe: model.profile.recipe },
    state: startSequentialChain(model, p.data.ids),
  };
};

/** The sequential policy of the problem's settings: convex-newton at (1, 1e-5), retrain allowed. */
export const aConvexPolicy = (p: Pick<ConvexProblem, 'settings'>): ConvexNewtonPolicy => ({
  mode: 'convex-newton',
  target: { epsilon: 1, delta: 1e-5 },
  solver: p.settings.solver,
  retrainAllowed: true,
});

/** JSON with Float32Arrays as arrays, to compare published records to the byte. */
export const json = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x instanceof Float32Array ? Array.from(x) : x));

/** The public release without its noisy weights (the only part allowed to differ). */
export const publicWithoutWeights = (o: ConvexOutcome): string => {
  const { released: _r, ...rest } = o.public;
  return json(rest);
};

/** The error `p` rejects with; throws when it resolves. */
export const errorOf = async (p: Promise<unknown>): Promise<{ code?: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
};
