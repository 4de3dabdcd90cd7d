import { z } from 'zod';
import type { Architecture } from '../model/architecture';
import { DEFAULT_RECIPE, type TrainingRecipe } from '../model/recipe';
import type { SequentialPolicy } from '../sequential';
import { SISA_MAX_SHARDS, SISA_MAX_SLICES } from '../../domain/sisa/sisa-plan';
import type { ConvexNewtonPolicy } from '../convex/convex-sequential';
import { JobError, JobErrorCode } from './job-errors';

/*
 * A model's training profile and unlearning policy, as `POST /v1/models` registers them and the
 * training job carries them (`data.profile`, docs/contracts.md §2.1). The worker validates it here
 * and keeps the validated copy in its private journal with the trained version, so every later
 * unlearning job of the model runs under the policy the model was registered with.
 *
 * Defaults give what the certified guarantee needs (projected Adam into the C-ball; a smooth
 * model: logistic regression, or a tanh MLP) and the policy "newton (LiSSA) then retrain".
 * The certification constants (M, λ_min, G, τ) are the operator's stated assumptions: they are
 * published in every certificate as assumed, and checked privately by the engine (a failed check
 * falls back to the next method of the policy).
 */

const positive = z.number().positive().finite();

/** The unlearning methods a policy may name (docs/contracts.md §2.1). */
export const UNLEARNING_METHODS = ['newton', 'convex-newton', 'sisa-shard', 'retrain'] as const;
export type UnlearningMethodName = (typeof UNLEARNING_METHODS)[number];

const architecture = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('logistic-regression') }).strict(),
  z
    .object({
      kind: z.literal('mlp'),
      hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8),
      activation: z.enum(['tanh', 'relu']).default('tanh'),
    })
    .strict(),
]);

const recipe = z
  .object({
    C: positive.default(DEFAULT_RECIPE.C),
    l2: z.number().min(0).finite().default(DEFAULT_RECIPE.l2),
    learningRate: positive.default(1e-2),
    epochs: z.number().int().min(1).max(10_000).default(20),
    batchSize: z.number().int().min(1).max(1_000_000).default(DEFAULT_RECIPE.batchSize),
    seed: z.union([z.number().int(), z.string().min(1).max(200)]).optional(),
  })
  .strict();

const lissa = z
  .object({
    chains: z.number().int().min(1).max(1000).default(2),
    depth: z.number().int().min(1).max(100_000).default(200),
    scale: positive.default(20),
    batchSize: z.number().int().min(1).max(100_000).default(64),
  })
  .strict();

const policy = z
  .object({
    /** Methods in order: the first that honours the policy is used. */
    methods: z
      .array(z.enum(UNLEARNING_METHODS))
      .min(1)
      .refine((m) => new Set(m).size === m.length, 'no method twice')
      .default(['newton', 'retrain']),
    target: z
      .object({ epsilon: positive, delta: z.number().gt(0).lt(1) })
      .strict()
      .default({ epsilon: 1, delta: 1e-5 }),
    cumulativeBudget: z
      .object({ epsilon: positive, delta: z.number().gt(0).lt(1) })
      .strict()
      .optional(),
    /** Accuracy of the noisy release on the remaining training data (a private check). */
    accuracyFloor: z.number().min(0).max(1).optional(),
    maxSigma: positive.optional(),
    newton: z
      .object({
        form: z.enum(['nonconvergence', 'converged']).default('nonconvergence'),
        damping: positive.default(1),
        lissa: lissa.default({}),
      })
      .strict()
      .default({}),
    certification: z
      .object({
        M: positive.default(1),
        lambdaMin: z.number().finite().default(0),
        G: positive.default(1),
        solverTolerance: positive.default(0.5),
      })
      .strict()
      .default({}),
    lanczosIterations: z.number().int().min(2).max(1000).optional(),
    /** convex-newton settings (docs/adr/0011-convex-newton.md): τ and the Newton solver. */
    convex: z
      .object({
        tolerance: positive.default(1e-3),
        maxSteps: z.number().int().min(1).max(100).optional(),
        maxStepsFromScratch: z.number().int().min(1).max(1000).optional(),
        hessian: z.enum(['auto', 'exact', 'cg']).optional(),
        /**
         * Keep a Cholesky factor of the curvature in the worker's private store between jobs
         * (docs/method.md §10 "The kept factor"): true / false, absent = when p ≤ 2,048.
         */
        keptFactor: z.boolean().optional(),
      })
      .strict()
      .optional(),
    /** sisa-shard settings (docs/adr/0017-sisa-shard.md). */
    sisa: z
      .object({
        shards: z.number().int().min(1).max(SISA_MAX_SHARDS),
        slices: z.number().int().min(1).max(SISA_MAX_SLICES).default(1),
        aggregation: z.enum(['mean-softmax', 'majority-vote']).default('mean-softmax'),
        /**
         * How a record's subject is read from its record id: `record` (default: each record is
         * its own subject) or `prefix` (the id up to the first `separator`).
         */
        subjectKey: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('record') }).strict(),
            z.object({ kind: z.literal('prefix'), separator: z.string().min(1).max(8) }).strict(),
          ])
          .default({ kind: 'record' }),
      })
      .strict()
      .optional(),
  })
  .strict();

export const jobProfileSchema = z
  .object({
    architecture: architecture.default({ kind: 'logistic-regression' }),
    recipe: recipe.default({}),
    policy: policy.default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    const m = p.policy.methods;
    const kinds = m.filter((x) => x !== 'retrain');
    if (kinds.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'methods'],
        message: `name one of newton, convex-newton, sisa-shard (each needs its own kind of model), then optionally retrain; got ${kinds.join(', ')}`,
      });
    }
    if (kinds.length === 1 && kinds[0] !== 'newton' && m[0] === 'retrain') {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'methods'],
        message: `retrain is the fallback of ${kinds[0]}: name it after it`,
      });
    }
    if (m.includes('convex-newton')) {
      if (p.architecture.kind !== 'logistic-regression') {
        ctx.addIssue({
          code: 'custom',
          path: ['architecture', 'kind'],
          message: 'convex-newton needs architecture logistic-regression',
        });
      }
      if (!(p.recipe.l2 > 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['recipe', 'l2'],
          message: 'convex-newton needs recipe.l2 > 0 (the strong-convexity constant λ)',
        });
      }
    }
    if (m.includes('sisa-shard') && !p.policy.sisa) {
      ctx.addIssue({
        code: 'custom',
        path: ['policy', 'sisa'],
        message: 'sisa-shard needs policy.sisa.shards',
      });
    }
  });

export type JobProfile = z.output<typeof jobProfileSchema>;

/**
 * The unlearning policy alone, as the governance service validates `PUT /v1/models/:id/policy`
 * (with the model's registered architecture and recipe, through `jobProfileSchema`) and as an
 * unlearning job carries it (`data.policy`). One schema, so the governance never accepts a policy
 * the worker refuses.
 */
export const jobPolicySchema = policy;
export type JobPolicy = z.output<typeof jobPolicySchema>;

/** Validates a training job's profile (empty: the defaults); JOB_INVALID_PROFILE with the issues. */
export const parseJobProfile = (input: unknown): JobProfile => {
  const r = jobProfileSchema.safeParse(input ?? {});
  if (!r.success) {
    throw new JobError(JobErrorCode.INVALID_PROFILE, 'invalid training profile or policy', {
      issues: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    });
  }
  return r.data;
};

/** The engine architecture for data of this shape. */
export const architectureFor = (
  p: JobProfile,
  shape: { readonly featureDim: number; readonly classCount: number },
): Architecture =>
  p.architecture.kind === 'logistic-regression'
    ? { kind: 'logistic-regression', inputDim: shape.featureDim, classes: shape.classCount }
    : {
        kind: 'mlp',
        layers: [shape.featureDim, ...p.architecture.hidden, shape.classCount],
        activation: p.architecture.activation,
      };

/** The training recipe; the seed defaults to the model id (deterministic per model). */
export const recipeFor = (p: JobProfile, modelId: string): TrainingRecipe => ({
  C: p.recipe.C,
  l2: p.recipe.l2,
  learningRate: p.recipe.learningRate,
  epochs: p.recipe.epochs,
  batchSize: p.recipe.batchSize,
  seed: p.recipe.seed ?? `model:${modelId}`,
});

/**
 * The engine's sequential policy for the profile: `['retrain']` → exact; newton first →
 * certified (LiSSA), with retraining allowed when the list names it.
 */
export const sequentialPolicyFor = (p: JobProfile): SequentialPolicy => {
  const m = p.policy.methods;
  if (m[0] === 'retrain') return { mode: 'exact' };
  const pol = p.policy;
  return {
    mode: 'certified',
    newton: {
      form: pol.newton.form,
      damping: pol.newton.damping,
      inverse: { kind: 'lissa', settings: { ...pol.newton.lissa } },
    },
    certification: { ...pol.certification },
    ...(pol.lanczosIterations !== undefined
      ? { constantsSettings: { iterations: pol.lanczosIterations } }
      : {}),
    target: pol.target,
    ...(pol.cumulativeBudget ? { cumulativeBudget: pol.cumulativeBudget } : {}),
    ...(pol.accuracyFloor !== undefined ? { accuracyFloor: pol.accuracyFloor } : {}),
    ...(pol.maxSigma !== undefined ? { maxSigma: pol.maxSigma } : {}),
    retrainAllowed: m.includes('retrain'),
  };
};

/**
 * The kind of model the profile trains: a convex softmax regression (convex-newton), a SISA
 * ensemble (sisa-shard) or one deep model (newton, or retrain alone).
 */
export type ModelKind = 'convex' | 'sisa' | 'deep';

export const modelKindOf = (p: JobProfile): ModelKind =>
  p.policy.methods.includes('convex-newton')
    ? 'convex'
    : p.policy.methods.includes('sisa-shard')
      ? 'sisa'
      : 'deep';

/**
 * Largest parameter count for which the worker keeps the convex factor when the profile does not
 * say: the factor is a dense p × p float64 matrix (32 MiB at p = 2,048; half of it on disk).
 */
export const KEPT_FACTOR_MAX_PARAMS = 2048;

/**
 * The convex solver settings of the profile (τ default 1e-3) for a model of `params` parameters:
 * with the kept factor when the profile asks for it, or leaves it out and p ≤ KEPT_FACTOR_MAX_PARAMS.
 */
export const convexSolverFor = (p: JobProfile, params?: number): ConvexNewtonPolicy['solver'] => {
  const c = p.policy.convex ?? { tolerance: 1e-3 };
  const kept =
    c.keptFactor ?? (params !== undefined && params <= KEPT_FACTOR_MAX_PARAMS ? true : undefined);
  return {
    tolerance: c.tolerance,
    ...(c.maxSteps !== undefined ? { maxSteps: c.maxSteps } : {}),
    ...(c.maxStepsFromScratch !== undefined ? { maxStepsFromScratch: c.maxStepsFromScratch } : {}),
    ...(c.hessian !== undefined ? { hessian: c.hessian } : {}),
    ...(kept === true ? { keptFactor: true } : {}),
  };
};

/** The engine's convex-newton policy: certified at the target, retrain when the list allows. */
export const convexPolicyFor = (p: JobProfile, params?: number): ConvexNewtonPolicy => {
  const pol = p.policy;
  return {
    mode: 'convex-newton',
    target: pol.target,
    solver: convexSolverFor(p, params),
    ...(pol.cumulativeBudget ? { cumulativeBudget: pol.cumulativeBudget } : {}),
    ...(pol.accuracyFloor !== undefined ? { accuracyFloor: pol.accuracyFloor } : {}),
    retrainAllowed: pol.methods.includes('retrain'),
  };
};
