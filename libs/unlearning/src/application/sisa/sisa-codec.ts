import type { SubjectKeySpec } from '../../domain/sisa/sisa-plan';
import { assignRecords, subjectKeyOf } from '../../domain/sisa/sisa-plan';
import { unlearningError, EngineErrorCode } from '../errors';
import type { Architecture } from '../model/architecture';
import type { EngineTrainingProfile, TrainingRecipe } from '../model/recipe';
import { decodeWeights, encodeWeights, modelDigest, sha256Hex } from '../model/weights-codec';
import {
  constituentModel,
  ensembleDigest,
  ensembleDigestOf,
  type SisaAggregation,
  type SisaCheckpoint,
  type SisaEnsemble,
  type SisaSettings,
} from './sisa';

/*
 * Files of a SISA model (docs/adr/0017-sisa-shard.md).
 *
 * PUBLIC release (the model store's blob, format lethe.sisa-ensemble/v1): the k constituent
 * models, nothing else.
 *   offset  size  field
 *   0       8     magic "LETHESIS"
 *   8       4     uint32 format version (1)
 *   12      4     uint32 M = byte length of the manifest JSON
 *   16      M     manifest JSON {format, aggregation, shards, slices, ensembleDigest,
 *                 constituents: [{shard, digest | null, bytes}]}
 *   16+M    …     the non-empty constituents' weights files (weights-codec.ts), in shard order
 * The model-store digest of the release is the SHA-256 of the whole file; the ensemble digest
 * in the manifest (sisa.ts `ensembleDigestOf`) depends on the constituents' digests only.
 *
 * PRIVATE state (the worker's private chain store, `PrivateChainState`): the intermediate slice
 * checkpoints, the training record ids and the assignment key. `meta` is JSON, `weights` the
 * non-empty checkpoints' weights files concatenated in (shard, slice) order.
 */

export const SISA_MAGIC = 'LETHESIS';
export const SISA_FORMAT = 'lethe.sisa-ensemble/v1';
export const SISA_STATE_FORMAT = 'lethe.sisa-state/v1';

const bad = (why: string) =>
  unlearningError(EngineErrorCode.InvalidWeights, `invalid SISA file: ${why}`, {}, 'validation');

interface Manifest {
  readonly format: typeof SISA_FORMAT;
  readonly aggregation: SisaAggregation;
  readonly shards: number;
  readonly slices: number;
  readonly ensembleDigest: string;
  readonly constituents: readonly {
    readonly shard: number;
    readonly digest: string | null;
    readonly bytes: number;
  }[];
}

const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** True when the bytes start like a SISA ensemble file. */
export const isSisaEnsembleFile = (bytes: Uint8Array): boolean =>
  bytes.length >= 16 && Buffer.from(bytes.subarray(0, 8)).toString('ascii') === SISA_MAGIC;

/** The public release of an ensemble: its constituents only (no checkpoint, no record id). */
export const encodeSisaEnsemble = (e: SisaEnsemble): Uint8Array => {
  const files = e.constituents.map((c) => {
    const m = constituentModel(c);
    return m.params ? encodeWeights(e.arch, m.params) : new Uint8Array(0);
  });
  const manifest: Manifest = {
    format: SISA_FORMAT,
    aggregation: e.settings.aggregation,
    shards: e.settings.shards,
    slices: e.settings.slices,
    ensembleDigest: ensembleDigest(e),
    constituents: e.constituents.map((c, i) => ({
      shard: c.shard,
      digest: constituentModel(c).digest,
      bytes: (files[i] as Uint8Array).length,
    })),
  };
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  const head = new Uint8Array(16);
  head.set(Buffer.from(SISA_MAGIC, 'ascii'), 0);
  const dv = new DataView(head.buffer);
  dv.setUint32(8, 1, true);
  dv.setUint32(12, json.length, true);
  return concat([head, json, ...files]);
};

export interface DecodedSisaEnsemble {
  readonly aggregation: SisaAggregation;
  readonly ensembleDigest: string;
  readonly constituents: readonly {
    readonly shard: number;
    readonly digest: string | null;
    readonly arch: Architecture | null;
    readonly params: Float32Array | null;
  }[];
}

/** Decodes and verifies a release: every constituent's digest and the ensemble digest. */
export const decodeSisaEnsemble = (bytes: Uint8Array): DecodedSisaEnsemble => {
  if (!isSisaEnsembleFile(bytes)) throw bad('bad magic');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(8, true) !== 1) throw bad('unsupported version');
  const m = dv.getUint32(12, true);
  if (16 + m > bytes.length) throw bad('truncated manifest');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(Buffer.from(bytes.subarray(16, 16 + m)).toString('utf8')) as Manifest;
  } catch {
    throw bad('manifest is not JSON');
  }
  const list: Manifest['constituents'] | undefined = (manifest as Partial<Manifest>).constituents;
  if (manifest.format !== SISA_FORMAT || !(list instanceof Array)) {
    throw bad('unknown manifest format');
  }
  let o = 16 + m;
  const constituents = list.map((c) => {
    if (c.bytes === 0) {
      if (c.digest !== null) throw bad(`shard ${c.shard} has a digest but no weights`);
      return { shard: c.shard, digest: null, arch: null, params: null };
    }
    const file = bytes.subarray(o, o + c.bytes);
    o += c.bytes;
    if (file.length !== c.bytes) throw bad('truncated constituent');
    const { arch, params } = decodeWeights(file);
    if (modelDigest(arch, params) !== c.digest) throw bad(`shard ${c.shard} fails its digest`);
    return { shard: c.shard, digest: c.digest, arch, params };
  });
  if (o !== bytes.length) throw bad('trailing bytes');
  const digest = ensembleDigestOf(
    manifest.aggregation,
    constituents.map((c) => c.digest),
  );
  if (digest !== manifest.ensembleDigest) throw bad('ensemble digest does not match');
  return { aggregation: manifest.aggregation, ensembleDigest: digest, constituents };
};

interface StateMeta {
  readonly format: typeof SISA_STATE_FORMAT;
  readonly arch: Architecture;
  readonly recipe: TrainingRecipe;
  readonly settings: SisaSettings;
  readonly subjectKey: SubjectKeySpec;
  readonly recordIds: readonly string[];
  /** Requests served so far. */
  readonly k: number;
  /** Model-store digest of the release this state is behind. */
  readonly releaseDigest: string;
  readonly checkpoints: readonly (readonly {
    readonly digest: string | null;
    readonly n: number;
    readonly bytes: number;
    readonly profile: EngineTrainingProfile | null;
  }[])[];
}

/** The PRIVATE state behind a SISA version. */
export interface SisaState {
  readonly ensemble: SisaEnsemble;
  readonly subjectKey: SubjectKeySpec;
  readonly k: number;
  readonly releaseDigest: string;
}

export const serializeSisaState = (s: SisaState): { meta: string; weights: Uint8Array } => {
  const files: Uint8Array[] = [];
  const e = s.ensemble;
  const checkpoints = e.constituents.map((c) =>
    c.checkpoints.map((cp) => {
      const f = cp.params ? encodeWeights(e.arch, cp.params) : new Uint8Array(0);
      files.push(f);
      return { digest: cp.digest, n: cp.n, bytes: f.length, profile: cp.profile };
    }),
  );
  const meta: StateMeta = {
    format: SISA_STATE_FORMAT,
    arch: e.arch,
    recipe: e.recipe,
    settings: e.settings,
    subjectKey: s.subjectKey,
    recordIds: e.recordIds,
    k: s.k,
    releaseDigest: s.releaseDigest,
    checkpoints,
  };
  return { meta: JSON.stringify(meta), weights: concat(files) };
};

/** True when a private state's meta is a SISA state (not a sequential chain state). */
export const isSisaStateMeta = (meta: string): boolean => {
  try {
    return (JSON.parse(meta) as { format?: unknown }).format === SISA_STATE_FORMAT;
  } catch {
    return false;
  }
};

/** Restores the state; every checkpoint must match its digest. */
export const deserializeSisaState = (stored: {
  readonly meta: string;
  readonly weights: Uint8Array;
}): SisaState => {
  const meta = JSON.parse(stored.meta) as StateMeta;
  if (meta.format !== SISA_STATE_FORMAT) throw bad('not a SISA state');
  let o = 0;
  const constituents = meta.checkpoints.map((cps, shard) => ({
    shard,
    checkpoints: cps.map((cp): SisaCheckpoint => {
      if (cp.bytes === 0) return { params: null, digest: null, n: 0, profile: null };
      const file = stored.weights.subarray(o, o + cp.bytes);
      o += cp.bytes;
      const { arch, params } = decodeWeights(file);
      if (modelDigest(arch, params) !== cp.digest)
        throw bad(`checkpoint of shard ${shard} fails its digest`);
      return { params, digest: cp.digest, n: cp.n, profile: cp.profile };
    }),
  }));
  if (o !== stored.weights.length) throw bad('trailing checkpoint bytes');
  const ensemble: SisaEnsemble = {
    arch: meta.arch,
    recipe: meta.recipe,
    settings: meta.settings,
    recordIds: meta.recordIds,
    assignment: assignRecords(meta.settings, meta.recordIds, subjectKeyOf(meta.subjectKey)),
    constituents,
  };
  return { ensemble, subjectKey: meta.subjectKey, k: meta.k, releaseDigest: meta.releaseDigest };
};

/** SHA-256 of a release file (the model-store digest). */
export const releaseDigest = (bytes: Uint8Array): string => sha256Hex(bytes);
