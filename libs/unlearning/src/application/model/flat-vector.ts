/**
 * Plain operations on flat Float32 parameter vectors. Reductions accumulate in float64.
 */
export type FlatVector = Float32Array;

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
};

export const norm2 = (a: ArrayLike<number>): number => Math.sqrt(dot(a, a));

export const distance = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return Math.sqrt(s);
};

/** a + alpha * b, as a new vector. */
export const axpy = (a: FlatVector, alpha: number, b: ArrayLike<number>): FlatVector => {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) + alpha * (b[i] as number);
  return out;
};

export const scale = (a: FlatVector, alpha: number): FlatVector => {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = alpha * (a[i] as number);
  return out;
};

/** Projection onto the ball ||w||₂ <= C: w·min(1, C/||w||). Returns a new vector. */
export const projectToBall = (w: FlatVector, radius: number): FlatVector => {
  const n = norm2(w);
  return n > radius ? scale(w, radius / n) : Float32Array.from(w);
};

export const allFinite = (a: ArrayLike<number>): boolean => {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
};

export const equalVectors = (a: ArrayLike<number>, b: ArrayLike<number>): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};
