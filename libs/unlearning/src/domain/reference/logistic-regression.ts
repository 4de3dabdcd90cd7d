import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { choleskySolve, norm2 } from './linear-algebra';

/**
 * L2-regularised binary logistic regression in float64 with closed-form gradient and Hessian: the
 * convex oracle (exact Newton step, exact inverse-Hessian, λ_min > 0) against which LiSSA and the
 * certified bound can be checked, and the attack model of the membership-inference evidence.
 *
 * Objective: f(θ) = (1/n)·Σᵢ [softplus(zᵢ) − yᵢ·zᵢ] + (l2/2)·‖w‖², zᵢ = xᵢ·w (+ b), yᵢ ∈ {0, 1}.
 * Parameter layout: θ = [w₀ … w_{d−1}] or, with `fitIntercept`, [w₀ … w_{d−1}, b]; the intercept
 * b is NOT penalised (as scikit-learn). x is row-major [n × d].
 * Gradient: (1/n)·Xᵀ(σ(z) − y) + l2·w.  Hessian: (1/n)·Xᵀ diag(σ(1−σ)) X + l2·I_w.
 */
export interface LogisticSpec {
  readonly dim: number;
  readonly l2: number;
  readonly fitIntercept: boolean;
}

export interface BinaryData {
  readonly x: Float64Array;
  readonly y: ArrayLike<number>;
}

const fail = (message: string, details: Record<string, unknown> = {}): never => {
  throw new UnlearningError(UnlearningErrorCodes.MODEL_INVALID_INPUT, message, details);
};

export const logisticParamCount = (spec: LogisticSpec): number =>
  spec.dim + (spec.fitIntercept ? 1 : 0);

function check(spec: LogisticSpec, theta: Float64Array, data: BinaryData): number {
  if (!Number.isInteger(spec.dim) || spec.dim < 1)
    fail('dim must be an integer >= 1', { dim: spec.dim });
  if (!(spec.l2 >= 0) || !Number.isFinite(spec.l2))
    fail('l2 must be finite and >= 0', { l2: spec.l2 });
  if (theta.length !== logisticParamCount(spec))
    fail('theta has the wrong length', { length: theta.length });
  const n = data.y.length;
  if (n < 1) fail('data must not be empty');
  if (data.x.length !== n * spec.dim)
    fail('x must be [n × dim]', { x: data.x.length, n, dim: spec.dim });
  for (let i = 0; i < n; i++) {
    const yi = data.y[i];
    if (yi !== 0 && yi !== 1) fail('labels must be 0 or 1', { index: i, label: yi });
  }
  return n;
}

const sigmoid = (z: number): number =>
  z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
const softplus = (z: number): number => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

/** z = Xθ (+ b). */
export function logisticMargins(
  spec: LogisticSpec,
  theta: Float64Array,
  x: Float64Array,
): Float64Array {
  const d = spec.dim;
  const n = x.length / d;
  const b = spec.fitIntercept ? theta[d]! : 0;
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b;
    for (let j = 0; j < d; j++) s += x[i * d + j]! * theta[j]!;
    z[i] = s;
  }
  return z;
}

/** P(y = 1 | x). */
export function logisticPredict(
  spec: LogisticSpec,
  theta: Float64Array,
  x: Float64Array,
): Float64Array {
  return logisticMargins(spec, theta, x).map(sigmoid);
}

export function logisticLoss(spec: LogisticSpec, theta: Float64Array, data: BinaryData): number {
  const n = check(spec, theta, data);
  const z = logisticMargins(spec, theta, data.x);
  let s = 0;
  for (let i = 0; i < n; i++) s += softplus(z[i]!) - data.y[i]! * z[i]!;
  let r = 0;
  for (let j = 0; j < spec.dim; j++) r += theta[j]! * theta[j]!;
  return s / n + 0.5 * spec.l2 * r;
}

export function logisticGradient(
  spec: LogisticSpec,
  theta: Float64Array,
  data: BinaryData,
): Float64Array {
  const n = check(spec, theta, data);
  const d = spec.dim;
  const z = logisticMargins(spec, theta, data.x);
  const g = new Float64Array(theta.length);
  for (let i = 0; i < n; i++) {
    const r = (sigmoid(z[i]!) - data.y[i]!) / n;
    for (let j = 0; j < d; j++) g[j]! += r * data.x[i * d + j]!;
    if (spec.fitIntercept) g[d]! += r;
  }
  for (let j = 0; j < d; j++) g[j]! += spec.l2 * theta[j]!;
  return g;
}

/** Dense Hessian, row-major [p × p]. */
export function logisticHessian(
  spec: LogisticSpec,
  theta: Float64Array,
  data: BinaryData,
): Float64Array {
  const n = check(spec, theta, data);
  const d = spec.dim;
  const p = theta.length;
  const z = logisticMargins(spec, theta, data.x);
  const H = new Float64Array(p * p);
  const row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const s = sigmoid(z[i]!);
    const wgt = (s * (1 - s)) / n;
    for (let j = 0; j < d; j++) row[j] = data.x[i * d + j]!;
    if (spec.fitIntercept) row[d] = 1;
    for (let a = 0; a < p; a++) {
      const ra = wgt * row[a]!;
      if (ra === 0) continue;
      for (let b = 0; b < p; b++) H[a * p + b]! += ra * row[b]!;
    }
  }
  for (let j = 0; j < d; j++) H[j * p + j]! += spec.l2;
  return H;
}

/** H(θ)·v without forming H: (1/n)·Xᵀ(σ(1−σ) ⊙ Xv) + l2·v_w. */
export function logisticHessianVectorProduct(
  spec: LogisticSpec,
  theta: Float64Array,
  data: BinaryData,
  v: Float64Array,
): Float64Array {
  const n = check(spec, theta, data);
  if (v.length !== theta.length) fail('v has the wrong length', { length: v.length });
  const d = spec.dim;
  const z = logisticMargins(spec, theta, data.x);
  const out = new Float64Array(theta.length);
  for (let i = 0; i < n; i++) {
    const s = sigmoid(z[i]!);
    let xv = spec.fitIntercept ? v[d]! : 0;
    for (let j = 0; j < d; j++) xv += data.x[i * d + j]! * v[j]!;
    const c = (s * (1 - s) * xv) / n;
    for (let j = 0; j < d; j++) out[j]! += c * data.x[i * d + j]!;
    if (spec.fitIntercept) out[d]! += c;
  }
  for (let j = 0; j < d; j++) out[j]! += spec.l2 * v[j]!;
  return out;
}

export interface FitOptions {
  readonly maxIterations?: number;
  /** Stop when ‖∇f‖₂ ≤ tolerance (default 1e-10). */
  readonly tolerance?: number;
  readonly initial?: Float64Array;
}

export interface FitResult {
  readonly theta: Float64Array;
  readonly iterations: number;
  readonly gradientNorm: number;
  readonly converged: boolean;
}

/**
 * Minimises f by damped Newton (Cholesky solve + backtracking line search). Deterministic. Needs
 * l2 > 0 (or non-separable data) for a unique minimiser; with `fitIntercept` and separable data
 * the intercept direction can still drift, which the iteration cap bounds.
 */
export function fitLogisticRegression(
  spec: LogisticSpec,
  data: BinaryData,
  options: FitOptions = {},
): FitResult {
  const maxIter = options.maxIterations ?? 100;
  const tol = options.tolerance ?? 1e-10;
  let theta = options.initial
    ? new Float64Array(options.initial)
    : new Float64Array(logisticParamCount(spec));
  let f = logisticLoss(spec, theta, data);
  let g = logisticGradient(spec, theta, data);
  let gn = norm2(g);
  let it = 0;
  for (; it < maxIter && gn > tol; it++) {
    const H = logisticHessian(spec, theta, data);
    // A tiny ridge keeps the solve defined when the unpenalised intercept has zero curvature.
    for (let j = 0; j < theta.length; j++) H[j * theta.length + j]! += 1e-12;
    const step = choleskySolve(H, g);
    let t = 1;
    let accepted = false;
    const slope = -step.reduce((acc, s, j) => acc + s * g[j]!, 0);
    for (let ls = 0; ls < 60; ls++) {
      const cand = theta.map((th, j) => th - t * step[j]!);
      const fc = logisticLoss(spec, cand, data);
      if (fc <= f + 1e-4 * t * slope) {
        theta = cand;
        f = fc;
        accepted = true;
        break;
      }
      t /= 2;
    }
    if (!accepted) break;
    g = logisticGradient(spec, theta, data);
    gn = norm2(g);
  }
  return { theta, iterations: it, gradientNorm: gn, converged: gn <= tol };
}
