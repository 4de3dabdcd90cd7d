import { GroupCommit } from './group-commit';

/** A run function that records each round and can be held open until released. */
const recordingRun = () => {
  const rounds: number[][] = [];
  let release: (() => void) | null = null;
  let hold = false;
  let fail: Error | null = null;
  const run = async (jobs: readonly number[]): Promise<string[]> => {
    rounds.push([...jobs]);
    if (hold) await new Promise<void>((r) => (release = r));
    if (fail) throw fail;
    return jobs.map((j) => `r${j}`);
  };
  return {
    rounds,
    run,
    holdNext: () => (hold = true),
    releaseHeld: () => {
      hold = false;
      release?.();
    },
    failWith: (e: Error | null) => (fail = e),
  };
};

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('GroupCommit (the intake group commit)', () => {
  it('puts every job submitted in the same turn into one round, and answers each its own result', async () => {
    const r = recordingRun();
    const g = new GroupCommit<number, string>(r.run, () => 1, 100);

    const results = await Promise.all([g.submit(1), g.submit(2), g.submit(3)]);

    expect(r.rounds).toEqual([[1, 2, 3]]);
    expect(results).toEqual(['r1', 'r2', 'r3']);
  });

  it('runs one round at a time: jobs submitted while a round runs wait and go together in the next', async () => {
    const r = recordingRun();
    const g = new GroupCommit<number, string>(r.run, () => 1, 100);
    r.holdNext();
    const first = g.submit(1);
    await turn();
    expect(r.rounds).toEqual([[1]]);

    const later = [g.submit(2), g.submit(3)];
    await turn();
    await turn();
    expect(r.rounds).toEqual([[1]]); // still one round: the first has not finished
    expect(g.waiting).toBe(2);

    r.releaseHeld();
    await expect(first).resolves.toBe('r1');
    await expect(Promise.all(later)).resolves.toEqual(['r2', 'r3']);
    expect(r.rounds).toEqual([[1], [2, 3]]);
  });

  it('caps a round at maxSize (by the jobs’ sizes), but always takes at least one job', async () => {
    const r = recordingRun();
    const g = new GroupCommit<number, string>(r.run, (j) => j, 10);

    await Promise.all([g.submit(4), g.submit(5), g.submit(3), g.submit(30), g.submit(2)]);

    expect(r.rounds).toEqual([[4, 5], [3], [30], [2]]);
  });

  it('rejects every job of a failed round with its error, and later rounds still run', async () => {
    const r = recordingRun();
    const g = new GroupCommit<number, string>(r.run, () => 1, 100);
    r.failWith(new Error('database down'));
    const failed = [g.submit(1), g.submit(2)];
    for (const p of failed) p.catch(() => undefined);

    for (const p of failed) await expect(p).rejects.toThrow('database down');

    r.failWith(null);
    await expect(g.submit(3)).resolves.toBe('r3');
    expect(r.rounds).toEqual([[1, 2], [3]]);
  });

  it('rejects a job that its round returned no result for (never resolves it with nothing)', async () => {
    const g = new GroupCommit<number, string>(
      async () => ['only-one'],
      () => 1,
      100,
    );
    const a = g.submit(1);
    const b = g.submit(2);
    b.catch(() => undefined);

    await expect(a).resolves.toBe('only-one');
    await expect(b).rejects.toThrow('no result for job 1 of 2');
  });
});
