import { tf, type Tensor1D } from '../tf/tf';
import type { DeviceData } from '../data/device-data';
import type { Objective } from '../model/objective';

/** A symmetric linear operator on parameter space, applied through HVPs. */
export interface SymmetricOperator {
  readonly size: number;
  /** A·v as a new tensor (the caller disposes it). */
  apply(v: Tensor1D): Tensor1D;
}

/** (∇²L(w, D) + damping·I) over a whole device dataset, L2 included. */
export const hessianOperator = (
  objective: Objective,
  w: Tensor1D,
  data: DeviceData,
  damping = 0,
): SymmetricOperator => ({
  size: w.size,
  apply: (v) => objective.hvp(w, v, data, damping),
});

/** Applies an operator to a host vector, returning float64 values. */
export const applyHost = (op: SymmetricOperator, v: ArrayLike<number>): Float64Array => {
  const t = tf.tensor1d(Float32Array.from(v));
  const r = op.apply(t);
  const out = Float64Array.from(r.dataSync());
  t.dispose();
  r.dispose();
  return out;
};
