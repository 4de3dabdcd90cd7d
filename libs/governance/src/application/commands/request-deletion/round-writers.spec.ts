import { seededRandom } from '../../../testing/intake-item.factory';
import { writeInGroups, writerGroups, type RoundChunk } from './round-writers';

const chunk = (partition: number, size: number, topic = 't'): RoundChunk => ({
  topic,
  partition,
  messages: Array.from({ length: size }, (_, i) => `${partition}:${i}`),
});

describe('writerGroups', () => {
  it('keeps a small round, or a round of one chunk, in one group', () => {
    expect(
      writerGroups([chunk(0, 400), chunk(1, 500)], { minMessages: 500, maxWriters: 99 }),
    ).toEqual([[0, 1]]);
    expect(writerGroups([chunk(0, 5000)], { minMessages: 500, maxWriters: 99 })).toEqual([[0]]);
    expect(writerGroups([], { minMessages: 500, maxWriters: 99 })).toEqual([[]]);
  });

  it('splits a large round by partition into groups of at least the minimum', () => {
    const chunks = [chunk(0, 700), chunk(1, 700), chunk(2, 700), chunk(3, 700)];
    expect(writerGroups(chunks, { minMessages: 500, maxWriters: 99 })).toEqual([
      [0],
      [1],
      [2],
      [3],
    ]);
    expect(writerGroups(chunks, { minMessages: 1000, maxWriters: 99 })).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('gathers small partitions, and the remainder joins the last group', () => {
    const chunks = [chunk(0, 900), chunk(1, 100), chunk(2, 50), chunk(3, 1000), chunk(4, 10)];
    expect(writerGroups(chunks, { minMessages: 500, maxWriters: 99 })).toEqual([[0], [1, 2, 3, 4]]);
  });

  it('never puts two chunks of one partition in different groups, and keeps their order', () => {
    const chunks = [chunk(0, 600), chunk(1, 600), chunk(0, 600), chunk(2, 600), chunk(1, 5)];
    const groups = writerGroups(chunks, { minMessages: 500, maxWriters: 99 });
    expect(groups).toEqual([[0, 2], [1, 4], [3]]);
    // Same partition number on another topic is another partition.
    expect(
      writerGroups([chunk(0, 600, 'a'), chunk(0, 600, 'b')], { minMessages: 500, maxWriters: 99 }),
    ).toEqual([[0], [1]]);
  });

  it('places every chunk exactly once, whatever the sizes (seeded)', () => {
    const next = seededRandom(7);
    const random = (n: number) => Math.floor(next() * n);
    for (let trial = 0; trial < 500; trial++) {
      const chunks = Array.from({ length: 1 + random(8) }, () => chunk(random(4), random(1500)));
      const min = 1 + random(1000);
      const groups = writerGroups(chunks, { minMessages: min, maxWriters: 99 });
      expect(groups.flat().sort((a, b) => a - b)).toEqual(chunks.map((_, i) => i));
      const groupOf = new Map<number, number>();
      groups.forEach((g, k) =>
        g.forEach((i) => {
          const p = chunks[i]!.partition;
          expect(groupOf.get(p) ?? k).toBe(k);
          groupOf.set(p, k);
        }),
      );
      // Within a group, each partition's chunks keep their order (partitions follow each other).
      for (const g of groups) {
        for (const p of new Set(g.map((i) => chunks[i]!.partition))) {
          const mine = g.filter((i) => chunks[i]!.partition === p);
          expect([...mine].sort((a, b) => a - b)).toEqual(mine);
        }
      }
      if (groups.length > 1) {
        for (const g of groups) {
          expect(g.reduce((n, i) => n + chunks[i]!.messages.length, 0)).toBeGreaterThanOrEqual(min);
        }
      }
    }
  });
});

describe('writerGroups, at most maxWriters groups', () => {
  it('caps the groups, each then larger than the minimum', () => {
    const chunks = [chunk(0, 700), chunk(1, 700), chunk(2, 700), chunk(3, 700)];
    expect(writerGroups(chunks, { minMessages: 500, maxWriters: 2 })).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(writerGroups(chunks, { minMessages: 500, maxWriters: 1 })).toEqual([[0, 1, 2, 3]]);
  });

  it('never makes more groups than maxWriters (seeded)', () => {
    const next = seededRandom(11);
    const random = (n: number) => Math.floor(next() * n);
    for (let trial = 0; trial < 500; trial++) {
      const chunks = Array.from({ length: 1 + random(12) }, (_, i) => chunk(i, random(1500)));
      const maxWriters = 1 + random(6);
      const groups = writerGroups(chunks, { minMessages: 1 + random(600), maxWriters });
      expect(groups.length).toBeLessThanOrEqual(maxWriters);
      expect(groups.flat().sort((a, b) => a - b)).toEqual(chunks.map((_, i) => i));
    }
  });
});

describe('writeInGroups', () => {
  const round = [chunk(0, 600), chunk(1, 600), chunk(2, 600)];
  const limits = { minMessages: 500, maxWriters: 4 };

  it('writes each group in its own call, all in flight together, results in chunk order', async () => {
    const calls: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const write = async (group: readonly RoundChunk[], sending: () => void) => {
      calls.push(group.map((c) => c.partition));
      inFlight += 1;
      most = Math.max(most, inFlight);
      sending();
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight -= 1;
      return group.map((c) => `done ${c.partition}`);
    };
    const done = writeInGroups(round, limits, write);
    while (release.length < 3) await new Promise((resolve) => setImmediate(resolve));
    release.forEach((r) => r());
    await expect(done).resolves.toEqual(['done 0', 'done 1', 'done 2']);
    expect(calls).toEqual([[0], [1], [2]]);
    expect(most).toBe(3);
  });

  it('starts the next group only once the previous one is sending its statement', async () => {
    const started: number[] = [];
    const send: (() => void)[] = [];
    const write = async (group: readonly RoundChunk[], sending: () => void) => {
      const p = group[0]!.partition;
      started.push(p);
      await new Promise<void>((resolve) => send.push(resolve));
      sending();
      return group.map(() => p);
    };
    const done = writeInGroups(round, limits, write);
    for (let t = 0; t < 20; t++) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0]);
    send[0]!();
    while (started.length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1]);
    send[1]!();
    while (started.length < 3) await new Promise((resolve) => setImmediate(resolve));
    send[2]!();
    await expect(done).resolves.toEqual([0, 1, 2]);
  });

  it('one call for a small round', async () => {
    const write = jest.fn(async (group: readonly RoundChunk[]) => group.map(() => 1));
    await expect(writeInGroups([chunk(0, 10), chunk(1, 10)], limits, write)).resolves.toEqual([
      1, 1,
    ]);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('a failed group fails the round after the others have settled, and no later group starts', async () => {
    let slowDone = false;
    const started: number[] = [];
    const write = async (group: readonly RoundChunk[], sending: () => void) => {
      const p = group[0]!.partition;
      started.push(p);
      if (p === 1) throw new Error('group 1 failed');
      sending();
      await new Promise((resolve) => setTimeout(resolve, 50));
      slowDone = true;
      return group.map(() => p);
    };
    await expect(writeInGroups(round, limits, write)).rejects.toThrow('group 1 failed');
    expect(slowDone).toBe(true);
    expect(started).toEqual([0, 1]);
  });

  it('several failed groups: an AggregateError naming each', async () => {
    const release: (() => void)[] = [];
    const write = async (group: readonly RoundChunk[], sending: () => void) => {
      const p = group[0]!.partition;
      sending();
      await new Promise<void>((resolve) => release.push(resolve));
      if (p !== 1) throw new Error(`group ${p} failed`);
      return group.map(() => p);
    };
    const done = writeInGroups(round, limits, write).catch((e: unknown) => e);
    while (release.length < 3) await new Promise((resolve) => setImmediate(resolve));
    release.forEach((r) => r());
    const error = await done;
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toHaveLength(2);
    expect((error as Error).message).toBe(
      "2 of the round's 3 writer transactions failed: group 0 failed; group 2 failed",
    );
  });

  it('a write that throws synchronously is still a failed group, and the others are awaited', async () => {
    let slowDone = false;
    const write = (group: readonly RoundChunk[], sending: () => void) => {
      const p = group[0]!.partition;
      if (p === 1) throw new Error('thrown synchronously');
      sending();
      return new Promise<readonly number[]>((resolve) =>
        setTimeout(() => {
          slowDone = true;
          resolve(group.map(() => p));
        }, 30),
      );
    };
    await expect(writeInGroups(round, limits, write)).rejects.toThrow('thrown synchronously');
    expect(slowDone).toBe(true);
  });

  it('refuses a group that returns the wrong number of results', async () => {
    const write = async (group: readonly RoundChunk[], sending: () => void) => {
      sending();
      return group[0]!.partition === 1 ? [] : group.map(() => 0);
    };
    await expect(writeInGroups(round, limits, write)).rejects.toThrow(
      'round writers: group 1 returned 0 result(s) for 1 chunk(s)',
    );
  });
});
