import { createRng } from '../../application/model/rng';
import { makeDataset, type Dataset } from '../../application/model/dataset';

/**
 * Seeded Gaussian blobs: `classes` centres drawn on a sphere of radius `separation`, samples =
 * centre + N(0, noise² I). Ids `<name>-<i>`.
 */
export const gaussianBlobs = (opts: {
  n: number;
  dim: number;
  classes: number;
  seed: number | string;
  separation?: number;
  noise?: number;
  name?: string;
}): Dataset => {
  const rng = createRng(`blobs/${String(opts.seed)}`);
  const sep = opts.separation ?? 3;
  const noise = opts.noise ?? 1;
  const name = opts.name ?? 'blobs';
  const centres: Float64Array[] = [];
  for (let c = 0; c < opts.classes; c++) {
    const v = Float64Array.from({ length: opts.dim }, () => rng.normal());
    const nrm = Math.hypot(...v) || 1;
    centres.push(v.map((x) => (x * sep) / nrm));
  }
  const features = new Float32Array(opts.n * opts.dim);
  const labels = new Int32Array(opts.n);
  for (let i = 0; i < opts.n; i++) {
    const c = i % opts.classes;
    labels[i] = c;
    const centre = centres[c] as Float64Array;
    for (let j = 0; j < opts.dim; j++) {
      features[i * opts.dim + j] = (centre[j] as number) + noise * rng.normal();
    }
  }
  return makeDataset({
    name,
    features,
    labels,
    ids: Array.from({ length: opts.n }, (_, i) => `${name}-${i}`),
    dim: opts.dim,
    classes: opts.classes,
  });
};

/**
 * Seeded binary logistic data: x ~ N(0, I), rows rescaled to norm <= maxNorm (bounded data, so
 * the logistic Hessian-Lipschitz constant is known), y ~ Bernoulli(sigmoid(θ·x + b)) with a
 * random θ of norm `signal`. Labels in {0, 1}; use with a 2-class softmax regression.
 */
export const logisticData = (opts: {
  n: number;
  dim: number;
  seed: number | string;
  signal?: number;
  maxNorm?: number;
  name?: string;
}): Dataset => {
  const rng = createRng(`logistic/${String(opts.seed)}`);
  const name = opts.name ?? 'logistic';
  const signal = opts.signal ?? 4;
  const maxNorm = opts.maxNorm ?? 1;
  const theta = Float64Array.from({ length: opts.dim }, () => rng.normal());
  const tn = Math.hypot(...theta) || 1;
  for (let j = 0; j < opts.dim; j++) theta[j] = ((theta[j] as number) * signal) / tn;
  const bias = 0.25 * rng.normal();
  const features = new Float32Array(opts.n * opts.dim);
  const labels = new Int32Array(opts.n);
  for (let i = 0; i < opts.n; i++) {
    const x = Float64Array.from({ length: opts.dim }, () => rng.normal() / Math.sqrt(opts.dim));
    const xn = Math.hypot(...x);
    const s = xn > maxNorm ? maxNorm / xn : 1;
    let z = bias;
    for (let j = 0; j < opts.dim; j++) {
      const v = (x[j] as number) * s;
      features[i * opts.dim + j] = v;
      z += (theta[j] as number) * v;
    }
    labels[i] = rng.uniform() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return makeDataset({
    name,
    features,
    labels,
    ids: Array.from({ length: opts.n }, (_, i) => `${name}-${i}`),
    dim: opts.dim,
    classes: 2,
  });
};

/** Largest row norm of the features (||x||₂ over rows). */
export const maxRowNorm = (ds: Dataset): number => {
  let best = 0;
  for (let i = 0; i < ds.labels.length; i++) {
    let s = 0;
    for (let j = 0; j < ds.dim; j++) {
      const v = ds.features[i * ds.dim + j] as number;
      s += v * v;
    }
    best = Math.max(best, Math.sqrt(s));
  }
  return best;
};
