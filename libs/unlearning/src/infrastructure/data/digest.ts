import { createHash } from 'node:crypto';
import type { Dataset } from './dataset';

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian bytes of a typed array (a view when the platform is little-endian). */
export const leBytes = (a: Float32Array | Int32Array): Uint8Array => {
  if (littleEndian) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) {
    if (a instanceof Float32Array) dv.setFloat32(4 * i, a[i] as number, true);
    else dv.setInt32(4 * i, a[i] as number, true);
  }
  return out;
};

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
