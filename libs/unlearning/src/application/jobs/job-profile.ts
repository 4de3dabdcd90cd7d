import { z } from 'zod';
import type { Architecture } from '../model/architecture';
import { DEFAULT_RECIPE, type TrainingRecipe } from '../model/recipe';
import type { SequentialPolicy } from '../sequential';
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
      .array(z.enum(['newton', 'retrain']))
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
  })
  .strict();

export const jobProfileSchema = z
  .object({
    architecture: architecture.default({ kind: 'logistic-regression' }),
    recipe: recipe.default({}),
    policy: policy.default({}),
  })
  .strict();

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
