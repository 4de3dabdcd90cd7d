import { isUnlearningError } from '../errors';
import {
  assignRecords,
  checkSisaLayout,
  cumulativeSliceIds,
  placeSubject,
  planDeletion,
  subjectKeyOf,
  subjectPrefix,
  withoutRecords,
  type SisaLayout,
} from './sisa-plan';

/** `subject-<s>#<r>`: 200 subjects with 1..5 records each. */
const records = (): string[] => {
  const ids: string[] = [];
  for (let s = 0; s < 200; s++) for (let r = 0; r <= s % 5; r++) ids.push(`subject-${s}#${r}`);
  return ids;
};
const bySubject = subjectPrefix('#');

describe('SISA bookkeeping (domain/sisa)', () => {
  const layout: SisaLayout = { shards: 8, slices: 4, key: 'model:m1' };

  it("never lets one subject's records span shards or slices", () => {
    const a = assignRecords(layout, records(), bySubject);
    const where = new Map<string, string>();
    a.ids.forEach((slices, shard) =>
      slices.forEach((ids, slice) => {
        for (const id of ids) {
          const subject = bySubject(id);
          const at = `${shard}/${slice}`;
          expect(where.get(subject) ?? at).toBe(at);
          where.set(subject, at);
        }
      }),
    );
    expect(where.size).toBe(200);
    // Every record placed exactly once.
    expect(a.ids.flat(2).sort()).toEqual(records().sort());
  });

  it('spreads subjects over every shard (keyed hash) and depends on the key', () => {
    const a = assignRecords(layout, records(), bySubject);
    for (const slices of a.ids) expect(slices.flat().length).toBeGreaterThan(0);
    const other = assignRecords({ ...layout, key: 'model:m2' }, records(), bySubject);
    expect(other.ids).not.toEqual(a.ids);
    // Deterministic: the same key gives the same assignment.
    expect(assignRecords(layout, records(), bySubject).ids).toEqual(a.ids);
  });

  it("a subject's placement does not depend on which other subjects exist", () => {
    const p = placeSubject(layout, 'subject-7');
    const a = assignRecords(layout, ['subject-7#0'], bySubject);
    expect(a.ids[p.shard]?.[p.slice]).toEqual(['subject-7#0']);
  });

  it('a deletion of one subject touches one shard, from its slice', () => {
    const a = assignRecords(layout, records(), bySubject);
    const forget = records().filter((id) => bySubject(id) === 'subject-14');
    const plan = planDeletion(a, forget);
    const p = placeSubject(layout, 'subject-14');
    expect(plan).toEqual([{ shard: p.shard, fromSlice: p.slice, forget }]);
    const after = withoutRecords(a, forget);
    a.ids.forEach((slices, shard) => {
      if (shard !== p.shard) expect(after.ids[shard]).toEqual(slices);
    });
    expect(after.ids.flat(2)).toHaveLength(records().length - forget.length);
  });

  it('a deletion of unknown ids touches nothing', () => {
    expect(planDeletion(assignRecords(layout, records(), bySubject), ['nobody#0'])).toEqual([]);
  });

  it('cumulative slices are the prefix of the shard', () => {
    const a = assignRecords(layout, records(), bySubject);
    const shard = a.ids[3] as readonly (readonly string[])[];
    expect(cumulativeSliceIds(a, 3, 0)).toEqual(shard[0]);
    expect(cumulativeSliceIds(a, 3, 3)).toEqual(shard.flat());
  });

  it('refuses layouts outside 1..64 shards and 1..16 slices with a coded error', () => {
    for (const bad of [
      { shards: 0, slices: 1 },
      { shards: 65, slices: 1 },
      { shards: 2, slices: 17 },
      { shards: 1.5, slices: 1 },
    ]) {
      let caught: unknown;
      try {
        checkSisaLayout({ ...bad, key: 1 });
      } catch (e) {
        caught = e;
      }
      expect(isUnlearningError(caught)).toBe(true);
    }
  });

  it('derives subject keys from the configured spec', () => {
    expect(subjectKeyOf({ kind: 'record' })('a#1')).toBe('a#1');
    expect(subjectKeyOf({ kind: 'prefix', separator: '#' })('a#1#2')).toBe('a');
    expect(subjectKeyOf({ kind: 'prefix', separator: '#' })('plain')).toBe('plain');
  });
});
