import type { BoundForm, CertifiedBoundInputs, LissaBoundSettings } from '../bound/certified-bound';
import { UnlearningError, UnlearningErrorCodes } from '../errors';

/**
 * The constants a certified bound is computed from, with their provenance (DESIGN.md §2: "every
 * certificate says which numbers were measured, which assumed"). Three kinds:
 * - settings: chosen by the operator (C, lambda, rho, LiSSA S/s/H/b);
 * - measured: computed on the model and data (lambdaMin, lambdaMax by Lanczos/power iteration with
 *   HVPs; G and gradient norms by a full pass);
 * - assumed: not measurable with a certificate (M always; L when taken as the local spectral norm;
 *   G when it stands for the retrained model's gradient norm, see ADR 0004).
 */
export interface UnlearningConstants {
  readonly C: number;
  /** Damping λ of the local convex approximation H + λI (paper λ, repo `gamma`). */
  readonly lambda: number;
  /** Hessian-Lipschitz constant; always assumed. */
  readonly M: number;
  /** Extreme eigenvalues of the undamped ∇²L(start, D_r). */
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  /** Bound on ‖∇L(w~*, D_r)‖ (Prop 4.1). */
  readonly G: number;
  readonly L?: number;
  readonly rho?: number;
  /** Names of the constants above that were measured / assumed / set. */
  readonly measured: readonly string[];
  readonly assumed: readonly string[];
  readonly settings?: readonly string[];
  /** How each measured constant was obtained, e.g. { lambdaMin: 'lanczos k=30 on D_r at w*' }. */
  readonly methods?: Readonly<Record<string, string>>;
}

export const CONSTANT_NAMES = [
  'C',
  'lambda',
  'M',
  'lambdaMin',
  'lambdaMax',
  'G',
  'L',
  'rho',
] as const;
export type ConstantName = (typeof CONSTANT_NAMES)[number];

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.BOUND_INVALID_INPUT, message, details);
};

/**
 * Checks the provenance lists: names are known and present, no name is both measured and assumed,
 * M is assumed, and λ_min, λ_max, G are each classified as measured or assumed.
 */
export function validateUnlearningConstants(c: UnlearningConstants): void {
  const known = new Set<string>(CONSTANT_NAMES);
  const lists = { measured: c.measured, assumed: c.assumed, settings: c.settings ?? [] };
  for (const [list, names] of Object.entries(lists)) {
    for (const name of names) {
      if (!known.has(name)) fail(`unknown constant name in ${list}`, { name });
      if ((c as unknown as Record<string, unknown>)[name] === undefined) {
        fail(`${list} names a constant that has no value`, { name });
      }
    }
  }
  const measured = new Set(c.measured);
  for (const name of c.assumed)
    if (measured.has(name)) fail('a constant cannot be both measured and assumed', { name });
  for (const name of lists.settings) {
    if (measured.has(name) || c.assumed.includes(name))
      fail('a setting cannot also be measured or assumed', { name });
  }
  if (!c.assumed.includes('M')) fail('M has no certified estimate and must be listed as assumed');
  for (const name of ['lambdaMin', 'lambdaMax', 'G'] as const) {
    if (!measured.has(name) && !c.assumed.includes(name))
      fail(`${name} must be listed as measured or assumed`, { name });
  }
}

/** Bound inputs from validated constants plus the request's shape. */
export function toBoundInputs(
  c: UnlearningConstants,
  request: {
    readonly p: number;
    readonly n: number;
    readonly nU: number;
    readonly form: BoundForm;
    readonly lissa?: Omit<LissaBoundSettings, 'rho'>;
    readonly updateGradNorm?: number;
    readonly fullGradNorm?: number;
    readonly startNorm?: number;
    readonly sequenceIndex?: number;
  },
): CertifiedBoundInputs {
  validateUnlearningConstants(c);
  if (request.lissa !== undefined && c.rho === undefined) fail('LiSSA needs rho in the constants');
  const { lissa, ...rest } = request;
  return {
    C: c.C,
    lambda: c.lambda,
    M: c.M,
    lambdaMin: c.lambdaMin,
    lambdaMax: c.lambdaMax,
    G: c.G,
    ...(c.L !== undefined ? { L: c.L } : {}),
    ...rest,
    ...(lissa !== undefined ? { lissa: { ...lissa, rho: c.rho! } } : {}),
  };
}
