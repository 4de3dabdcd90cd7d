import { createHash } from 'node:crypto';
import { unlearningError, EngineErrorCode } from '../errors';
import { leBytes } from './bytes';
import {
  architectureJson,
  parameterCount,
  validateArchitecture,
  type Architecture,
} from './architecture';

/**
 * Stable binary layout of a model's weights (version 1). All integers little-endian.
 *
 *   offset  size  field
 *   0       8     magic, ASCII "LETHEWTS"
 *   8       4     uint32 format version (= 1)
 *   12      4     uint32 A = byte length of the architecture JSON
 *   16      A     architecture JSON, UTF-8, canonical (sorted keys, no whitespace)
 *   16+A    0..3  zero padding to a multiple of 4
 *   P       4     uint32 p = parameter count (must equal the architecture's)
 *   P+4     4p    float32 parameters in the flat layout of `parameterLayout` (little-endian)
 *
 * The model digest is the SHA-256 (hex) of exactly these bytes.
 */
export const WEIGHTS_MAGIC = 'LETHEWTS';
export const WEIGHTS_FORMAT_VERSION = 1;

export const encodeWeights = (arch: Architecture, params: Float32Array): Uint8Array => {
  const p = parameterCount(arch);
  if (params.length !== p) {
    throw unlearningError(
      EngineErrorCode.InvalidWeights,
      `expected ${p} parameters, got ${params.length}`,
      {},
      'validation',
    );
  }
  const json = Buffer.from(architectureJson(arch), 'utf8');
  const pad = (4 - (json.length % 4)) % 4;
  const header = 16 + json.length + pad + 4;
  const out = new Uint8Array(header + 4 * p);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from(WEIGHTS_MAGIC, 'ascii'), 0);
  dv.setUint32(8, WEIGHTS_FORMAT_VERSION, true);
  dv.setUint32(12, json.length, true);
  out.set(json, 16);
  dv.setUint32(16 + json.length + pad, p, true);
  out.set(leBytes(params), header);
  return out;
};

export const decodeWeights = (bytes: Uint8Array): { arch: Architecture; params: Float32Array } => {
  const bad = (why: string) =>
    unlearningError(
      EngineErrorCode.InvalidWeights,
      `invalid weights file: ${why}`,
      {},
      'validation',
    );
  if (bytes.length < 20) throw bad('too short');
  if (Buffer.from(bytes.subarray(0, 8)).toString('ascii') !== WEIGHTS_MAGIC) throw bad('bad magic');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(8, true);
  if (version !== WEIGHTS_FORMAT_VERSION) throw bad(`unsupported version ${version}`);
  const a = dv.getUint32(12, true);
  const pad = (4 - (a % 4)) % 4;
  if (16 + a + pad + 4 > bytes.length) throw bad('truncated header');
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes.subarray(16, 16 + a)).toString('utf8'));
  } catch {
    throw bad('architecture is not JSON');
  }
  const arch = validateArchitecture(raw);
  const p = dv.getUint32(16 + a + pad, true);
  if (p !== parameterCount(arch)) throw bad(`parameter count ${p} does not match the architecture`);
  const start = 16 + a + pad + 4;
  if (bytes.length !== start + 4 * p) throw bad('length does not match the parameter count');
  const params = new Float32Array(p);
  for (let i = 0; i < p; i++) params[i] = dv.getFloat32(start + 4 * i, true);
  return { arch, params };
};

export const sha256Hex = (bytes: Uint8Array): string =>
  createHash('sha256').update(bytes).digest('hex');

/** The model digest: SHA-256 of the encoded weights file. */
export const modelDigest = (arch: Architecture, params: Float32Array): string =>
  sha256Hex(encodeWeights(arch, params));
