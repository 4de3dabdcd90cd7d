import type { Seed } from '../../domain/random';
import { createRng } from '../../application/model/rng';
import { yieldToEventLoop, type ProgressCallback } from '../../application/progress';
import { applyHost, type SymmetricOperator } from './operator';
import { symmetricEigenvalues } from './dense';

export interface SpectrumEstimate {
  /** Estimate of the largest eigenvalue (a Ritz value: never above the true λ_max). */
  readonly max: number;
  /** Estimate of the smallest eigenvalue (a Ritz value: never below the true λ_min). */
  readonly min: number;
  readonly iterations: number;
  readonly method: 'lanczos' | 'power';
}

const dotF = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

const randomUnit = (p: number, seed: Seed): Float64Array => {
  const rng = createRng(seed);
  const v = Float64Array.from({ length: p }, () => rng.normal());
  const n = Math.sqrt(dotF(v, v));
  return v.map((x) => x / n);
};

/**
 * Lanczos with full re-orthogonalisation (float64 host vectors, HVPs for A·q): both extreme
 * eigenvalues of a symmetric operator from one Krylov space. Extreme Ritz values converge fast;
 * they are inner estimates (max ≤ λ_max, min ≥ λ_min), so they are *measured*, not certified.
 */
export const lanczosExtremes = async (
  op: SymmetricOperator,
  opts: { iterations?: number; seed: Seed; onProgress?: ProgressCallback; phase?: string },
): Promise<SpectrumEstimate> => {
  const p = op.size;
  const k = Math.min(opts.iterations ?? 30, p);
  const qs: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let q = randomUnit(p, opts.seed);
  let prev: Float64Array | undefined;
  let prevBeta = 0;
  for (let j = 0; j < k; j++) {
    qs.push(q);
    const w = applyHost(op, q);
    if (prev) for (let i = 0; i < p; i++) w[i] = (w[i] as number) - prevBeta * (prev[i] as number);
    const a = dotF(w, q);
    alpha.push(a);
    for (let i = 0; i < p; i++) w[i] = (w[i] as number) - a * (q[i] as number);
    for (let pass = 0; pass < 2; pass++) {
      for (const qi of qs) {
        const c = dotF(w, qi);
        for (let i = 0; i < p; i++) w[i] = (w[i] as number) - c * (qi[i] as number);
      }
    }
    const b = Math.sqrt(dotF(w, w));
    opts.onProgress?.({ phase: opts.phase ?? 'lanczos', done: j + 1, total: k });
    if (j % 5 === 4) await yieldToEventLoop();
    if (j + 1 === k || b < 1e-10 * Math.max(1, Math.abs(a))) break;
    beta.push(b);
    prev = q;
    prevBeta = b;
    q = w.map((x) => x / b);
  }
  const m = alpha.length;
  const t = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    t[i * m + i] = alpha[i] as number;
    if (i + 1 < m) {
      t[i * m + i + 1] = beta[i] as number;
      t[(i + 1) * m + i] = beta[i] as number;
    }
  }
  const ev = symmetricEigenvalues(t, m);
  return { max: ev[m - 1] as number, min: ev[0] as number, iterations: m, method: 'lanczos' };
};

/**
 * Power iteration on shifted operators (slower than Lanczos; kept as a cross-check). Plain power
 * iteration on A converges to the eigenvalue of largest MAGNITUDE, which is λ_min when
 * |λ_min| > λ_max (an indefinite Hessian). So: a first pass estimates the spectral radius ρ
 * (‖A v‖ → ρ from below), then with s = 2ρ̂ (≥ ρ once ρ̂ ≥ ρ/2) both A + sI and sI − A are
 * positive semidefinite, their dominant eigenvalues are λ_max + s and s − λ_min, and
 * λ_max = top(A + sI) − s, λ_min = s − top(sI − A). Rayleigh quotients: inner estimates.
 */
export const powerExtremes = async (
  op: SymmetricOperator,
  opts: { iterations?: number; seed: Seed; onProgress?: ProgressCallback },
): Promise<SpectrumEstimate> => {
  const iters = opts.iterations ?? 100;
  const p = op.size;
  let pass = 0;
  /** Dominant eigenvalue of (sign·A + shift·I) (Rayleigh quotient) and the last ‖·v‖. */
  const top = async (
    sign: 1 | -1,
    shift: number,
    seed: Seed,
  ): Promise<{ rq: number; norm: number }> => {
    let v = randomUnit(p, seed);
    let rq = 0;
    let n = 0;
    for (let i = 0; i < iters; i++) {
      const av = applyHost(op, v);
      const w = v.map((x, idx) => sign * (av[idx] as number) + shift * x);
      rq = dotF(v, w);
      n = Math.sqrt(dotF(w, w));
      if (n === 0) return { rq: 0, norm: 0 };
      v = w.map((x) => x / n);
      if (i % 10 === 9) await yieldToEventLoop();
      opts.onProgress?.({ phase: 'power', done: i + 1 + pass * iters, total: 3 * iters });
    }
    pass++;
    return { rq, norm: n };
  };
  const radius = await top(1, 0, `${String(opts.seed)}/radius`);
  const s = 2 * Math.max(radius.norm, Math.abs(radius.rq));
  const hi = await top(1, s, opts.seed);
  const lo = await top(-1, s, `${String(opts.seed)}/min`);
  return { max: hi.rq - s, min: s - lo.rq, iterations: 3 * iters, method: 'power' };
};
