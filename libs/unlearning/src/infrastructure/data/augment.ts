import { createRng } from '../../application/model/rng';
import { concatDatasets, makeDataset, type Dataset } from '../../application/model/dataset';

/**
 * Seeded augmentation to scale an image dataset up for benchmarks: each copy shifts every image by
 * a random (dx, dy) in [−maxShift, maxShift] (uncovered pixels take the image's minimum value, i.e.
 * the background) and adds N(0, noiseStd²) pixel noise. Ids: `<id>~aug<c>`. The originals are kept
 * first unless `includeOriginal` is false.
 */
export const augmentImages = (
  ds: Dataset,
  opts: {
    copies: number;
    seed: number | string;
    side?: number;
    maxShift?: number;
    noiseStd?: number;
    includeOriginal?: boolean;
  },
): Dataset => {
  const side = opts.side ?? Math.round(Math.sqrt(ds.dim));
  if (side * side !== ds.dim) throw new Error(`augmentImages: dim ${ds.dim} is not a square image`);
  const maxShift = opts.maxShift ?? 2;
  const noise = opts.noiseStd ?? 0.1;
  const rng = createRng(`augment/${String(opts.seed)}`);
  const n = ds.labels.length;
  const m = n * opts.copies;
  const features = new Float32Array(m * ds.dim);
  const labels = new Int32Array(m);
  const ids: string[] = new Array<string>(m);
  for (let c = 0; c < opts.copies; c++) {
    for (let i = 0; i < n; i++) {
      const row = c * n + i;
      const src = ds.features.subarray(i * ds.dim, (i + 1) * ds.dim);
      let bg = Infinity;
      for (let k = 0; k < src.length; k++) bg = Math.min(bg, src[k] as number);
      const dx = rng.int(2 * maxShift + 1) - maxShift;
      const dy = rng.int(2 * maxShift + 1) - maxShift;
      const out = features.subarray(row * ds.dim, (row + 1) * ds.dim);
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const sx = x - dx;
          const sy = y - dy;
          const v =
            sx >= 0 && sx < side && sy >= 0 && sy < side ? (src[sy * side + sx] as number) : bg;
          out[y * side + x] = v + (noise > 0 ? noise * rng.normal() : 0);
        }
      }
      labels[row] = ds.labels[i] as number;
      ids[row] = `${ds.ids[i] as string}~aug${c}`;
    }
  }
  const augmented = makeDataset({
    name: `${ds.name}+aug${opts.copies}`,
    features,
    labels,
    ids,
    dim: ds.dim,
    classes: ds.classes,
  });
  return opts.includeOriginal === false ? augmented : concatDatasets(ds, augmented, augmented.name);
};
