import { createHash } from 'node:crypto';
import type { SoftmaxHessianFactor } from '../../domain/convex/hessian-factor';
import { unlearningError, EngineErrorCode } from '../errors';

/**
 * The kept convex-newton factor as bytes, for the worker's PRIVATE chain store
 * (docs/method.md §10 "The kept factor", docs/adr/0011-convex-newton.md). It is bound to the chain
 * state it was computed for by that state's digest: a reader uses it only when the digest, the
 * row count and the shapes match, and rebuilds it otherwise. Never published: it holds the
 * noise-free centre and curvature of the private data.
 *
 * Layout (integers little-endian):
 *
 *   0          8   ASCII "LETHEFAC"
 *   8          4   uint32 format version = 1
 *   12         4   uint32 M = byte length of the header JSON
 *   16         M   header JSON (chainDigest, p, dim, classes, rows, ridge, downdates, gradient)
 *   then, 8-byte aligned (zero padding):
 *              8·p(p+1)/2   U's upper triangle row by row (float64)
 *              4·p          the centre (float32)
 *              4·p, 8·p     with a kept gradient: its point (float32) and ∇F there (float64)
 *   last       32  SHA-256 of every byte before
 */
export const FACTOR_MAGIC = 'LETHEFAC';
const FORMAT_VERSION = 1;

interface Header {
  readonly chainDigest: string;
  readonly p: number;
  readonly dim: number;
  readonly classes: number;
  readonly rows: number;
  readonly ridge: number;
  readonly downdates: number;
  readonly gradient: boolean;
}

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

const corrupt = (why: string) =>
  unlearningError(EngineErrorCode.InvalidWeights, `kept factor: ${why}`, {}, 'validation');

const align8 = (n: number): number => (n + 7) & ~7;

/** Encodes `f` for the chain state whose (noise-free) digest is `chainDigest`. */
export const encodeKeptFactor = (f: SoftmaxHessianFactor, chainDigest: string): Uint8Array => {
  const { p } = f;
  const g = f.lastGradient;
  const header: Header = {
    chainDigest,
    p,
    dim: f.dim,
    classes: f.classes,
    rows: f.rows,
    ridge: f.ridge,
    downdates: f.downdates,
    gradient: g !== undefined,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const tri = (p * (p + 1)) / 2;
  const start = align8(16 + json.length);
  const body = start + 8 * tri + 4 * p + (g ? 12 * p : 0);
  const out = Buffer.alloc(body + 32);
  out.write(FACTOR_MAGIC, 0, 'ascii');
  out.writeUInt32LE(FORMAT_VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  json.copy(out, 16);
  const upper = new Float64Array(out.buffer, out.byteOffset + start, tri);
  for (let i = 0, t = 0; i < p; i++) {
    upper.set(f.upper.subarray(i * p + i, (i + 1) * p), t);
    t += p - i;
  }
  let at = start + 8 * tri;
  out.set(new Uint8Array(f.centre.buffer, f.centre.byteOffset, 4 * p), at);
  at += 4 * p;
  if (g) {
    out.set(new Uint8Array(g.at.buffer, g.at.byteOffset, 4 * p), at);
    at += 4 * p;
    out.set(new Uint8Array(g.gradient.buffer, g.gradient.byteOffset, 8 * p), at);
  }
  sha256(out.subarray(0, body)).copy(out, body);
  return out;
};

/**
 * Decodes a kept factor and the chain digest it is bound to. Throws INVALID_WEIGHTS_FILE when the
 * bytes are damaged (checksum, magic, version, lengths): the caller then rebuilds the factor.
 */
export const decodeKeptFactor = (
  bytes: Uint8Array,
): { readonly chainDigest: string; readonly factor: SoftmaxHessianFactor } => {
  // The float64 views need an 8-byte aligned start: a file read as a whole is one (then it is
  // read in place, never written); otherwise a fresh aligned copy.
  let b: Buffer;
  if (bytes.byteOffset % 8 === 0) {
    b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } else {
    b = Buffer.alloc(bytes.byteLength);
    b.set(bytes);
  }
  if (b.length < 16 + 32) throw corrupt('too short');
  const body = b.length - 32;
  if (!sha256(b.subarray(0, body)).equals(b.subarray(body))) throw corrupt('checksum mismatch');
  if (b.toString('ascii', 0, 8) !== FACTOR_MAGIC) throw corrupt('bad magic');
  if (b.readUInt32LE(8) !== FORMAT_VERSION) throw corrupt('unsupported version');
  const m = b.readUInt32LE(12);
  if (16 + m > body) throw corrupt('truncated');
  let h: Header;
  try {
    h = JSON.parse(b.toString('utf8', 16, 16 + m)) as Header;
  } catch {
    throw corrupt('header is not JSON');
  }
  const { p } = h;
  if (!(Number.isInteger(p) && p > 0 && p === (h.dim + 1) * h.classes)) throw corrupt('bad shape');
  const tri = (p * (p + 1)) / 2;
  const start = align8(16 + m);
  if (start + 8 * tri + 4 * p + (h.gradient ? 12 * p : 0) !== body)
    throw corrupt('length mismatch');
  const packed = new Float64Array(b.buffer, b.byteOffset + start, tri);
  const upper = new Float64Array(p * p);
  for (let i = 0, t = 0; i < p; i++) {
    upper.set(packed.subarray(t, t + p - i), i * p + i);
    t += p - i;
  }
  let at = start + 8 * tri;
  const f32 = (o: number) =>
    new Float32Array(b.buffer.slice(b.byteOffset + o, b.byteOffset + o + 4 * p));
  const centre = f32(at);
  at += 4 * p;
  const factor: SoftmaxHessianFactor = {
    upper,
    p,
    dim: h.dim,
    classes: h.classes,
    centre,
    rows: h.rows,
    ridge: h.ridge,
    downdates: h.downdates,
    ...(h.gradient
      ? {
          lastGradient: {
            at: f32(at),
            gradient: new Float64Array(
              b.buffer.slice(b.byteOffset + at + 4 * p, b.byteOffset + at + 12 * p),
            ),
          },
        }
      : {}),
  };
  return { chainDigest: h.chainDigest, factor };
};
