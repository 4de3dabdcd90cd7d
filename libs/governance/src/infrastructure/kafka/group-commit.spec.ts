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

  it('fails a round that returned too few results (never resolves a job with nothing)', async () => {
    const g = new GroupCommit<number, string>(
      async () => ['only-one'],
      () => 1,
      100,
    );
    const a = g.submit(1);
    const b = g.submit(2);
    a.catch(() => undefined);
    b.catch(() => undefined);

    await expect(a).rejects.toThrow('no result for job 1 of 2');
    await expect(b).rejects.toThrow('no result for job 1 of 2');
  });
});

/** A deferred: a promise and the functions that settle it, for holding a stage open. */
const deferred = <T = void>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/**
 * Overlapping rounds: each round's run and ack wait on a gate the test opens, and the log says in
 * which order runs started and acks happened.
 */
const overlapping = (maxInFlight = 2) => {
  const log: string[] = [];
  const runGates: ReturnType<typeof deferred<void>>[] = [];
  const ackGates: ReturnType<typeof deferred<void>>[] = [];
  const poisoned: { jobs: number[]; error: string }[] = [];
  let runs = 0;
  let acks = 0;
  const g = new GroupCommit<number, string>(
    async (jobs) => {
      const gate = deferred();
      runGates[runs++] = gate;
      log.push(`run ${jobs.join('+')}`);
      await gate.promise;
      log.push(`ran ${jobs.join('+')}`);
      return jobs.map((j) => `r${j}`);
    },
    () => 1,
    3,
    {
      maxInFlight,
      ack: async (jobs) => {
        const gate = deferred();
        ackGates[acks++] = gate;
        log.push(`ack ${jobs.join('+')}`);
        await gate.promise;
        log.push(`acked ${jobs.join('+')}`);
      },
      onPoison: (jobs, e) => poisoned.push({ jobs: [...jobs], error: (e as Error).message }),
    },
  );
  const submit = (job: number) => {
    const p = g.submit(job);
    p.catch(() => undefined);
    return p;
  };
  return { g, log, runGates, ackGates, poisoned, submit };
};

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await turn();
};

describe('GroupCommit with overlapping rounds (ordering and poisoning)', () => {
  it('runs the next round while the previous one is in flight, and acknowledges them in round order', async () => {
    const o = overlapping();
    const first = o.submit(1);
    await turns();
    const second = o.submit(2);
    await turns();
    expect(o.log).toEqual(['run 1', 'run 2']); // two rounds under way at once
    expect(o.g.inFlight).toBe(2);
    void o.submit(3);
    await turns();
    expect(o.log).toEqual(['run 1', 'run 2']); // a third waits: at most maxInFlight
    expect(o.g.waiting).toBe(1);

    o.runGates[1]?.resolve(); // round 2's transaction is done first…
    await turns();
    expect(o.log).toEqual(['run 1', 'run 2', 'ran 2']); // …but it is not acknowledged before round 1
    o.runGates[0]?.resolve();
    await turns();
    expect(o.log).toEqual(['run 1', 'run 2', 'ran 2', 'ran 1', 'ack 1']);
    o.ackGates[0]?.resolve();
    await expect(first).resolves.toBe('r1');
    await turns();
    expect(o.log.slice(5)).toEqual(['acked 1', 'ack 2', 'run 3']);
    o.ackGates[1]?.resolve();
    await expect(second).resolves.toBe('r2');
  });

  it('a failed run poisons every later round and the queue: none is acknowledged, onPoison hears them first', async () => {
    const o = overlapping();
    const a = o.submit(1);
    await turns();
    const b = o.submit(2);
    await turns();
    const c = o.submit(3);
    await turns();
    o.runGates[1]?.resolve(); // round 2 ran (its transaction committed) before round 1 failed
    await turns();
    o.runGates[0]?.reject(new Error('database down'));

    await expect(a).rejects.toThrow('database down');
    await expect(b).rejects.toThrow('database down');
    await expect(c).rejects.toThrow('database down');
    expect(o.poisoned).toEqual([{ jobs: [1, 2, 3], error: 'database down' }]);
    expect(o.log.filter((l) => /^ack /.test(l))).toEqual([]);

    // Afterwards new rounds run and are acknowledged as usual.
    const d = o.submit(4);
    await turns();
    o.runGates[2]?.resolve();
    await turns();
    o.ackGates[0]?.resolve();
    await expect(d).resolves.toBe('r4');
    expect(o.log.filter((l) => /^ack /.test(l))).toEqual(['ack 4']);
  });

  it('a failed acknowledgement poisons the round after it, which is never acknowledged', async () => {
    const o = overlapping();
    const a = o.submit(1);
    await turns();
    const b = o.submit(2);
    await turns();
    o.runGates[0]?.resolve();
    o.runGates[1]?.resolve();
    await turns();
    expect(o.log).toContain('ack 1');
    o.ackGates[0]?.reject(new Error('offset commit refused'));

    await expect(a).rejects.toThrow('offset commit refused');
    await expect(b).rejects.toThrow('offset commit refused');
    expect(o.poisoned).toEqual([{ jobs: [1, 2], error: 'offset commit refused' }]);
    await turns();
    expect(o.log.filter((l) => /^ack /.test(l))).toEqual(['ack 1']);
  });

  it('after a failure, a new round still waits for the acknowledgement of the round before the failed one', async () => {
    const o = overlapping();
    const a = o.submit(1);
    await turns();
    const b = o.submit(2);
    await turns();
    o.runGates[0]?.resolve(); // round 1 is acknowledging (held)
    await turns();
    o.runGates[1]?.reject(new Error('deadlock'));
    await expect(b).rejects.toThrow('deadlock');
    expect(o.poisoned).toEqual([{ jobs: [2], error: 'deadlock' }]);

    const c = o.submit(3);
    await turns();
    o.runGates[2]?.resolve();
    await turns();
    expect(o.log.filter((l) => /^ack /.test(l))).toEqual(['ack 1']); // round 3 waits for round 1
    // Round 1's acknowledgement fails: round 3, after it, is poisoned too.
    o.ackGates[0]?.reject(new Error('coordinator moved'));
    await expect(a).rejects.toThrow('coordinator moved');
    await expect(c).rejects.toThrow('coordinator moved');
    expect(o.poisoned[1]).toEqual({ jobs: [1, 3], error: 'coordinator moved' });
    expect(o.log.filter((l) => /^ack /.test(l))).toEqual(['ack 1']);
  });

  it('room() waits while jobs are queued outside a round, and idle() once everything settled', async () => {
    const o = overlapping(1);
    void o.submit(1);
    await turns();
    for (const j of [2, 3, 4]) void o.submit(j); // queued behind round 1 (maxInFlight 1)
    let room = false;
    void o.g.room().then(() => (room = true));
    await turns();
    expect(room).toBe(false);
    o.runGates[0]?.resolve();
    await turns();
    o.ackGates[0]?.resolve();
    await turns();
    expect(room).toBe(true); // round 2 took the queue
    let idle = false;
    void o.g.idle().then(() => (idle = true));
    await turns();
    expect(idle).toBe(false);
    o.runGates[1]?.resolve();
    await turns();
    o.ackGates[1]?.resolve();
    await turns();
    expect(idle).toBe(true);
  });
});
