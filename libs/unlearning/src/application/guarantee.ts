import type { CertifiedBound } from '../domain/bound/certified-bound';
import type { GaussianMechanism } from '../domain/privacy/gaussian-mechanism';
import type { Guarantee, GuaranteeType } from '../domain/model/guarantee';

export type { GuaranteeType };

/**
 * What a release guarantees: the domain's certificate-facing `Guarantee` (DESIGN.md §3.3) with
 * `settings` and `statements` always present.
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
});

export const boundGuarantee = (
  b: CertifiedBound,
  extra: {
    type: GuaranteeType;
    epsilon: number | null;
    delta: number | null;
    sigma: number;
    mechanism?: GaussianMechanism;
    solverTerm?: number;
    /** Extra named values for `assumptions` (e.g. startNorm). */
    extraValues?: Readonly<Record<string, number>>;
    measured: readonly string[];
    assumed: readonly string[];
    settings: readonly string[];
    statements?: readonly string[];
  },
): ReleaseGuarantee => {
  const solver = extra.solverTerm ?? 0;
  const c = b.constants;
  const assumptions: Record<string, number | string> = {
    C: c.C,
    lambda: c.lambda,
    M: c.M,
    lambdaMin: c.lambdaMin,
    lambdaMax: c.lambdaMax,
    G: c.G,
    ...(b.usesL ? { L: c.L } : {}),
    diameter: c.diameter,
    p: c.p,
    n: c.n,
    nU: c.nU,
  };
  if (c.rho !== undefined) assumptions['rho'] = c.rho;
  if (c.lissaErrorForm !== undefined) assumptions['lissaErrorForm'] = c.lissaErrorForm;
  if (c.gradNormForLissa !== undefined) assumptions['gradNormForLissa'] = c.gradNormForLissa;
  Object.assign(assumptions, extra.extraValues ?? {});
  return {
    type: extra.type,
    epsilon: extra.epsilon,
    delta: extra.delta,
    sigma: extra.sigma,
    bound: b.bound + solver,
    boundTerms: { ...b.terms, ...(solver > 0 ? { solverResidual: solver } : {}) },
    formula: b.formula + (solver > 0 ? ` + CG residual/(λ+λ_min) = ${solver.toPrecision(6)}` : ''),
    ...(extra.mechanism ? { mechanism: extra.mechanism } : {}),
    assumptions,
    measured: extra.measured,
    assumed: extra.assumed,
    settings: extra.settings,
    statements: [...b.assumptions, ...(extra.statements ?? [])],
  };
};
