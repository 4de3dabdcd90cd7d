import { createHash } from 'node:crypto';
import type { Dataset } from './dataset';
import { leBytes } from './bytes';

/**
 * SHA-256 (hex) over: "lethe.dataset/v1\n", then "<n> <dim> <classes>\n", the features as
 * little-endian float32, the labels as little-endian int32, and the ids joined by "\n" (UTF-8).
 * Row order matters: the digest identifies this exact dataset.
 */
export const datasetDigest = (ds: Dataset): string => {
  const h = createHash('sha256');
  h.update(`lethe.dataset/v1\n${ds.labels.length} ${ds.dim} ${ds.classes}\n`);
  h.update(leBytes(ds.features));
  h.update(leBytes(ds.labels));
  h.update(ds.ids.join('\n'));
  return h.digest('hex');
};
