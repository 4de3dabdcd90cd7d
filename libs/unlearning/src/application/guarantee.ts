import type { CertifiedBound } from '../domain/bound/certified-bound';
import type { LanczosMargin } from '../domain/bound/spectrum-margin';
import type { GaussianMechanism } from '../domain/privacy/gaussian-mechanism';
import { CHECK_NAMES, type Guarantee, type GuaranteeType } from '../domain/model/guarantee';

export type { GuaranteeType };

/**
 * What a release guarantees: the domain's certificate-facing `Guarantee` (docs/contracts.md §5) with
 * `settings` and `statements` always present. Every value in it is a setting or a stated
 * assumption (docs/adr/0004-certified-bound-and-noise.md): nothing measured.
 */
export interface ReleaseGuarantee extends Guarantee {
  readonly settings: readonly string[];
  readonly statements: readonly string[];
}

export const exactGuarantee = (recipe: { C: number; l2: number }): ReleaseGuarantee => ({
  type: 'exact',
  epsilon: 0,
  delta: 0,
  sigma: 0,
  bound: 0,
  assumptions: { C: recipe.C, l2: recipe.l2 },
  measured: [],
  assumed: [],
  settings: ['C', 'l2'],
  statements: [
    'retrained from scratch on D_r with the same recipe and seed: no information on D_u is used',
  ],
  method: 'retrain',
});

type NewtonMethod = NonNullable<Guarantee['method']>;

/** A certified release: Δ from settings and assumptions only; measured values stay private. */
export const certifiedGuarantee = (
  b: CertifiedBound,
  extra: {
    readonly epsilon: number;
    /** Total δ = mechanismDelta + spectrum failure probability. */
    readonly delta: number;
    readonly mechanismDelta: number;
    readonly sigma: number;
    readonly mechanism: GaussianMechanism;
    readonly margin: LanczosMargin;
    readonly p: number;
    readonly activation: string;
    readonly method: NewtonMethod;
    readonly solver: Readonly<Record<string, number | string>>;
    /** Setting: the spectrum was estimated on a seeded subsample of this many rows of D_r. */
    readonly hessianSampleSize?: number;
    readonly statements: readonly string[];
  },
): ReleaseGuarantee => {
  const c = b.constants;
  return {
    type: 'certified',
    epsilon: extra.epsilon,
    delta: extra.delta,
    sigma: extra.sigma,
    bound: b.bound,
    mechanism: extra.mechanism,
    boundTerms: { ...b.terms },
    formula: b.formula,
    assumptions: {
      C: c.C,
      lambda: c.lambda,
      M: c.M,
      lambdaMin: c.lambdaMin,
      G: c.G,
      diameter: c.diameter,
      n: c.n,
      nU: c.nU,
      form: c.form,
      solverTolerance: c.solverTolerance,
      p: extra.p,
      activation: extra.activation,
      lanczosIterations: extra.margin.iterations,
      spectrumFailureProbability: extra.margin.failureProbability,
      spectrumMarginFactor: extra.margin.factor,
      mechanismDelta: extra.mechanismDelta,
      ...(extra.hessianSampleSize !== undefined
        ? { hessianSampleSize: extra.hessianSampleSize }
        : {}),
    },
    measured: [],
    assumed: ['M', 'lambdaMin', 'G'],
    settings: [
      'C',
      'lambda',
      'solverTolerance',
      'lanczosIterations',
      'spectrumFailureProbability',
      ...(extra.hessianSampleSize !== undefined ? ['hessianSampleSize'] : []),
    ],
    statements: [...b.assumptions, ...extra.statements],
    checks: [...CHECK_NAMES],
    method: extra.method,
    solver: extra.solver,
  };
};

/** paper-experiment: σ given, no (ε, δ) claim; settings only. */
export const uncertifiedGuarantee = (extra: {
  readonly sigma: number;
  readonly C: number;
  readonly lambda: number;
  readonly method: NewtonMethod;
  readonly solver: Readonly<Record<string, number | string>>;
}): ReleaseGuarantee => ({
  type: 'none',
  epsilon: null,
  delta: null,
  sigma: extra.sigma,
  bound: null,
  assumptions: { C: extra.C, lambda: extra.lambda },
  measured: [],
  assumed: [],
  settings: ['C', 'lambda', 'sigma'],
  statements: [
    'paper-experiment mode: σ set directly, no (ε, δ) claim',
    'an uncertified release poisons the chain ledger: no later release on it claims a finite cumulative ε until an exact retrain',
  ],
  method: extra.method,
  solver: extra.solver,
});
