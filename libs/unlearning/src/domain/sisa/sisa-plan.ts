import { UnlearningError, UnlearningErrorCodes } from '../errors';
import { deriveSeed, type Seed } from '../random';

/*
 * SISA bookkeeping (Bourtoule et al., "Machine Unlearning", IEEE S&P 2021; docs/method.md §11):
 * which shard and which slice hold each record, and which shards (from which slice on) a deletion
 * touches. Pure functions, no numeric engine.
 *
 * Shards and slices are assigned BY SUBJECT: a keyed hash of the subject key picks the shard, a
 * second keyed hash the slice inside it. So every record of one subject sits in one shard and one
 * slice, and deleting a subject retrains exactly one constituent, from the checkpoint before that
 * slice. The assignment depends on (key, subject key, k, r) only, never on the data or on which
 * other subjects exist: a deletion cannot move another subject between shards.
 */

export const SISA_MAX_SHARDS = 64;
export const SISA_MAX_SLICES = 16;

export interface SisaLayout {
  /** k: number of shards (one constituent model each), 1..64. */
  readonly shards: number;
  /** r: slices per shard (a checkpoint after each), 1..16. */
  readonly slices: number;
  /** Key of the assignment (the model's seed): fixed for the model's life. */
  readonly key: Seed;
}

/** Where one record sits. */
export interface SisaPlacement {
  readonly shard: number;
  readonly slice: number;
}

/** Maps a record id to its subject key (records of one subject share it). */
export type SubjectKeyOf = (recordId: string) => string;

/** Every record is its own subject (the worker's default when no subject key is configured). */
export const recordIsSubject: SubjectKeyOf = (id) => id;

/**
 * The subject key is the record id's prefix up to the first `separator` (the whole id when it
 * has none): `alice#1`, `alice#2` → `alice` with separator `#`.
 */
export const subjectPrefix =
  (separator: string): SubjectKeyOf =>
  (id) => {
    const i = id.indexOf(separator);
    return i < 0 ? id : id.slice(0, i);
  };

export const checkSisaLayout = (l: SisaLayout): SisaLayout => {
  const ok = (v: number, max: number) => Number.isInteger(v) && v >= 1 && v <= max;
  if (!ok(l.shards, SISA_MAX_SHARDS) || !ok(l.slices, SISA_MAX_SLICES)) {
    throw new UnlearningError(
      UnlearningErrorCodes.UNLEARNING_INVALID_INPUT,
      `SISA needs 1..${SISA_MAX_SHARDS} shards and 1..${SISA_MAX_SLICES} slices`,
      { shards: l.shards, slices: l.slices },
    );
  }
  return l;
};

/** The shard and slice of a subject (keyed, deterministic). */
export const placeSubject = (l: SisaLayout, subjectKey: string): SisaPlacement => ({
  shard: deriveSeed(l.key, 'sisa-shard', subjectKey) % l.shards,
  slice: deriveSeed(l.key, 'sisa-slice', subjectKey) % l.slices,
});

/** Record ids grouped by shard, then by slice, each list in the input order. */
export interface SisaAssignment {
  readonly layout: SisaLayout;
  /** `ids[shard][slice]`: the records of that slice. */
  readonly ids: readonly (readonly (readonly string[])[])[];
}

export const assignRecords = (
  layout: SisaLayout,
  recordIds: readonly string[],
  subjectOf: SubjectKeyOf,
): SisaAssignment => {
  checkSisaLayout(layout);
  const ids: string[][][] = Array.from({ length: layout.shards }, () =>
    Array.from({ length: layout.slices }, () => [] as string[]),
  );
  for (const id of recordIds) {
    const p = placeSubject(layout, subjectOf(id));
    (ids[p.shard] as string[][])[p.slice]?.push(id);
  }
  return { layout, ids };
};

/** The records of `shard` in slices 0..upTo (inclusive): what slice stage `upTo` trains on. */
export const cumulativeSliceIds = (
  a: SisaAssignment,
  shard: number,
  upTo: number,
): readonly string[] => (a.ids[shard] ?? []).slice(0, upTo + 1).flat();

/** One shard a deletion touches: retrain its slices `fromSlice`..r−1 without `forget`. */
export interface ShardRetrain {
  readonly shard: number;
  /** The first slice that held a deleted record: training restarts from checkpoint fromSlice−1. */
  readonly fromSlice: number;
  readonly forget: readonly string[];
}

/**
 * The shards a deletion touches (ascending), each from the earliest slice holding one of its
 * records. Ids not in the assignment are ignored (the caller filters to trained records).
 */
export const planDeletion = (
  a: SisaAssignment,
  forgetIds: readonly string[],
): readonly ShardRetrain[] => {
  const forget = new Set(forgetIds);
  const out: ShardRetrain[] = [];
  a.ids.forEach((slices, shard) => {
    let fromSlice = -1;
    const hit: string[] = [];
    slices.forEach((ids, slice) => {
      for (const id of ids) {
        if (!forget.has(id)) continue;
        if (fromSlice < 0) fromSlice = slice;
        hit.push(id);
      }
    });
    if (fromSlice >= 0) out.push({ shard, fromSlice, forget: hit });
  });
  return out;
};

/** The assignment after a deletion (the same placement for every remaining record). */
export const withoutRecords = (a: SisaAssignment, forgetIds: readonly string[]): SisaAssignment => {
  const forget = new Set(forgetIds);
  return {
    layout: a.layout,
    ids: a.ids.map((slices) => slices.map((ids) => ids.filter((id) => !forget.has(id)))),
  };
};

/** How the worker derives subject keys from record ids (stored with the model's state). */
export type SubjectKeySpec =
  { readonly kind: 'record' } | { readonly kind: 'prefix'; readonly separator: string };

export const subjectKeyOf = (s: SubjectKeySpec): SubjectKeyOf =>
  s.kind === 'record' ? recordIsSubject : subjectPrefix(s.separator);
