import { writeInGroups, writerGroups, type RoundChunk } from './round-writers';

const chunk = (partition: number, size: number, topic = 't'): RoundChunk => ({
  topic,
  partition,
  messages: Array.from({ length: size }, (_, i) => `${partition}:${i}`),
});

describe('writerGroups', () => {
  it('keeps a small round, or a round of one chunk, in one group', () => {
    expect(writerGroups([chunk(0, 400), chunk(1, 500)], 500)).toEqual([[0, 1]]);
    expect(writerGroups([chunk(0, 5000)], 500)).toEqual([[0]]);
    expect(writerGroups([], 500)).toEqual([[]]);
  });

  it('splits a large round by partition into groups of at least the minimum', () => {
    const chunks = [chunk(0, 700), chunk(1, 700), chunk(2, 700), chunk(3, 700)];
    expect(writerGroups(chunks, 500)).toEqual([[0], [1], [2], [3]]);
    expect(writerGroups(chunks, 1000)).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });

  it('gathers small partitions, and the remainder joins the last group', () => {
    const chunks = [chunk(0, 900), chunk(1, 100), chunk(2, 50), chunk(3, 1000), chunk(4, 10)];
    expect(writerGroups(chunks, 500)).toEqual([[0], [1, 2, 3, 4]]);
  });

  it('never puts two chunks of one partition in different groups, and keeps their order', () => {
    const chunks = [chunk(0, 600), chunk(1, 600), chunk(0, 600), chunk(2, 600), chunk(1, 5)];
    const groups = writerGroups(chunks, 500);
    expect(groups).toEqual([[0, 2], [1, 4], [3]]);
    // Same partition number on another topic is another partition.
    expect(writerGroups([chunk(0, 600, 'a'), chunk(0, 600, 'b')], 500)).toEqual([[0], [1]]);
  });

  it('places every chunk exactly once, whatever the sizes (seeded)', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let trial = 0; trial < 500; trial++) {
      const chunks = Array.from({ length: 1 + random(8) }, () => chunk(random(4), random(1500)));
      const min = 1 + random(1000);
      const groups = writerGroups(chunks, min);
      expect(groups.flat().sort((a, b) => a - b)).toEqual(chunks.map((_, i) => i));
      const groupOf = new Map<number, number>();
      groups.forEach((g, k) =>
        g.forEach((i) => {
          const p = chunks[i]!.partition;
          expect(groupOf.get(p) ?? k).toBe(k);
          groupOf.set(p, k);
        }),
      );
      groups.forEach((g) => expect([...g].sort((a, b) => a - b)).toEqual(g));
      if (groups.length > 1) {
        for (const g of groups) {
          expect(g.reduce((n, i) => n + chunks[i]!.messages.length, 0)).toBeGreaterThanOrEqual(min);
        }
      }
    }
  });
});

describe('writeInGroups', () => {
  const round = [chunk(0, 600), chunk(1, 600), chunk(2, 600)];

  it('writes each group in its own call, all in flight together, results in chunk order', async () => {
    const calls: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const write = async (group: readonly RoundChunk[]) => {
      calls.push(group.map((c) => c.partition));
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => release.push(resolve));
      inFlight -= 1;
      return group.map((c) => `done ${c.partition}`);
    };
    const done = writeInGroups(round, 500, write);
    while (release.length < 3) await new Promise((resolve) => setImmediate(resolve));
    release.forEach((r) => r());
    await expect(done).resolves.toEqual(['done 0', 'done 1', 'done 2']);
    expect(calls).toEqual([[0], [1], [2]]);
    expect(most).toBe(3);
  });

  it('one call for a small round', async () => {
    const write = jest.fn(async (group: readonly RoundChunk[]) => group.map(() => 1));
    await expect(writeInGroups([chunk(0, 10), chunk(1, 10)], 500, write)).resolves.toEqual([1, 1]);
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('a failed group fails the round, but only after every other group has settled', async () => {
    let slowDone = false;
    const write = async (group: readonly RoundChunk[]) => {
      const p = group[0]!.partition;
      if (p === 0) throw new Error('group 0 failed');
      await new Promise((resolve) => setTimeout(resolve, p === 2 ? 50 : 0));
      if (p === 2) slowDone = true;
      return group.map(() => p);
    };
    await expect(writeInGroups(round, 500, write)).rejects.toThrow('group 0 failed');
    expect(slowDone).toBe(true);
  });

  it('refuses a group that returns the wrong number of results', async () => {
    const write = async (group: readonly RoundChunk[]) =>
      group[0]!.partition === 1 ? [] : group.map(() => 0);
    await expect(writeInGroups(round, 500, write)).rejects.toThrow(
      'round writers: group 1 returned 0 result(s) for 1 chunk(s)',
    );
  });
});
