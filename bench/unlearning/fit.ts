/** Least-squares fits used to extrapolate measured costs (pure, float64). */

export interface PowerLawFit {
  /** y ≈ a · x^k */
  readonly a: number;
  readonly k: number;
  /** R² of the fit in log-log space. */
  readonly r2: number;
  predict(x: number): number;
}

/** Fits y = a·x^k by ordinary least squares on (ln x, ln y). Needs >= 2 points with x, y > 0. */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit {
  const pts = xs.map((x, i) => [x, ys[i] as number] as const).filter(([x, y]) => x > 0 && y > 0);
  if (pts.length < 2) throw new Error('fitPowerLaw needs at least two positive points');
  const lx = pts.map(([x]) => Math.log(x));
  const ly = pts.map(([, y]) => Math.log(y));
  const n = pts.length;
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (lx[i] as number) - mx;
    const dy = (ly[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const k = sxx > 0 ? sxy / sxx : 0;
  const lnA = my - k * mx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  const a = Math.exp(lnA);
  return { a, k, r2, predict: (x: number) => a * Math.pow(x, k) };
}

/** Fits y = c·f(x) through the origin (least squares): c = Σ f·y / Σ f². */
export function fitScale(
  xs: readonly number[],
  ys: readonly number[],
  f: (x: number) => number,
): { c: number; predict: (x: number) => number } {
  let num = 0;
  let den = 0;
  xs.forEach((x, i) => {
    const fx = f(x);
    num += fx * (ys[i] as number);
    den += fx * fx;
  });
  if (!(den > 0)) throw new Error('fitScale needs a non-zero basis');
  const c = num / den;
  return { c, predict: (x: number) => c * f(x) };
}
