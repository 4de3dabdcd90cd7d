/**
 * Group commit: jobs submitted while a round is being prepared or running are gathered into the
 * next round, and one round runs at a time. A round starts on the next turn of the event loop
 * after the first submission (`setImmediate`, so every job submitted in the same turn — the
 * batches of one Kafka fetch, handed to the partition workers together — lands in it), and takes
 * queued jobs in order until `maxSize` (at least one job, whatever its size). No timer waits for
 * more work: under light load a round holds what arrived, under heavy load it grows with the
 * backlog, so the fixed cost of a round (a transaction's commit flush, an offset commit) is paid
 * once for many jobs.
 *
 * `run` gets the round's jobs and returns one result per job, in order. If it throws, every job
 * of the round rejects with that error (nothing of the round is acknowledged); queued jobs go on
 * in later rounds.
 */
export class GroupCommit<J, R> {
  private readonly queue: {
    job: J;
    resolve: (r: R) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private scheduled = false;
  private running = false;

  constructor(
    private readonly run: (jobs: readonly J[]) => Promise<readonly R[]>,
    private readonly sizeOf: (job: J) => number,
    private readonly maxSize: number,
  ) {}

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.schedule();
    });
  }

  /** Jobs waiting for a round (not counting the one running). */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.scheduled || this.running || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.round();
    });
  }

  private async round(): Promise<void> {
    if (this.running) return;
    const taken: typeof this.queue = [];
    let size = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0];
      if (!next) break;
      const s = this.sizeOf(next.job);
      if (taken.length > 0 && size + s > this.maxSize) break;
      taken.push(next);
      this.queue.shift();
      size += s;
    }
    if (taken.length === 0) return;
    this.running = true;
    try {
      const results = await this.run(taken.map((t) => t.job));
      taken.forEach((t, i) => {
        if (i < results.length) t.resolve(results[i] as R);
        else t.reject(new Error(`group commit: no result for job ${i} of ${taken.length}`));
      });
    } catch (e) {
      for (const t of taken) t.reject(e);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
