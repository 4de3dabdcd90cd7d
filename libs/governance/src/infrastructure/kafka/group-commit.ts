/** How rounds overlap, and what is told when one fails. */
export interface GroupCommitOptions<J, R> {
  /**
   * Rounds whose `run` may be under way at once (default 1). With 2, the next round is prepared
   * and runs its transaction while the previous one commits or acknowledges; acknowledgements
   * still happen one at a time, in round order.
   */
  readonly maxInFlight?: number;
  /**
   * The round's acknowledgement (the intake: its offset commit), called after its `run`
   * succeeded and after the previous round's acknowledgement succeeded, never two at once. A
   * round's jobs resolve only once it succeeded.
   */
  readonly ack?: (jobs: readonly J[], results: readonly R[]) => Promise<void>;
  /**
   * Called once per failure, synchronously, before any job rejects, with every job that will
   * never be acknowledged: the failed round's, every later round's (started or not) and every
   * queued job's, in submission order. The intake rewinds its partitions to the first of them.
   */
  readonly onPoison?: (jobs: readonly J[], error: unknown) => void;
}

interface Entry<J, R> {
  readonly job: J;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

interface Round<J, R> {
  readonly seq: number;
  readonly entries: readonly Entry<J, R>[];
  /** Set once the round's jobs were rejected (its own failure or an earlier round's). */
  poisoned: boolean;
}

/**
 * Group commit: jobs submitted while rounds are being prepared or running are gathered into the
 * next round. A round starts on the next turn of the event loop after the first submission
 * (`setImmediate`, so every job submitted in the same turn — the batches of one Kafka fetch,
 * handed to the partition workers together — lands in it), and takes queued jobs in order until
 * `maxSize` (at least one job, whatever its size). No timer waits for more work: under light load
 * a round holds what arrived, under heavy load it grows with the backlog, so the fixed cost of a
 * round (a transaction's commit flush, an offset commit) is paid once for many jobs.
 *
 * Up to `maxInFlight` rounds run at once (ADR 0013); their acknowledgements (`ack`) run strictly
 * in round order, each after its own `run` and the previous round's `ack`. `run` gets the round's
 * jobs and returns one result per job, in order. If a round's `run` or `ack` fails, that round and
 * every later one (started or queued) is poisoned: `onPoison` hears of all their jobs, then each
 * rejects with the error, and none of them is acknowledged, whatever its own `run` did. Jobs
 * submitted afterwards form new rounds, acknowledged after the last round before the failure.
 */
export class GroupCommit<J, R> {
  private readonly queue: Entry<J, R>[] = [];
  /** Rounds started and not yet settled, in order. */
  private readonly active: Round<J, R>[] = [];
  private scheduled = false;
  private seq = 0;
  /** The acknowledgement the next round waits for (the last started round's, or settled). */
  private lastAck: Promise<void> = Promise.resolve();
  private readonly lastAckOf = new Map<number, Promise<void>>();
  private readonly maxInFlight: number;
  private roomWaiters: (() => void)[] = [];
  /** Each started round's settlement (its jobs resolved or rejected), by sequence number. */
  private readonly settled = new Map<number, Promise<void>>();

  constructor(
    private readonly run: (jobs: readonly J[]) => Promise<readonly R[]>,
    private readonly sizeOf: (job: J) => number,
    private readonly maxSize: number,
    private readonly options: GroupCommitOptions<J, R> = {},
  ) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  }

  submit(job: J): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.schedule();
    });
  }

  /** Jobs waiting for a round (not counting those of started rounds). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Rounds started and not settled. */
  get inFlight(): number {
    return this.active.length;
  }

  /**
   * Resolves once no job is queued: every job submitted so far is in a started round (or was
   * rejected). A producer that awaits this after each submit runs at most one batch ahead of the
   * rounds: the intake fetches again only when its last chunk has a round.
   */
  room(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves once no round is running and none is queued (for a clean stop). */
  async idle(): Promise<void> {
    while (this.active.length > 0 || this.queue.length > 0) {
      await Promise.all(this.active.map((r) => this.settled.get(r.seq) ?? Promise.resolve()));
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private wakeRoomWaiters(): void {
    if (this.roomWaiters.length === 0 || this.queue.length > 0) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const w of waiters) w();
  }

  private schedule(): void {
    if (this.scheduled || this.active.length >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startRound();
    });
  }

  private startRound(): void {
    if (this.active.length >= this.maxInFlight) return;
    const taken: Entry<J, R>[] = [];
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
    this.wakeRoomWaiters();
    const round: Round<J, R> = { seq: ++this.seq, entries: taken, poisoned: false };
    this.active.push(round);
    const previousAck = this.lastAck;
    const jobs = taken.map((t) => t.job);
    const acked = (async (): Promise<readonly R[]> => {
      const results = await this.run(jobs);
      if (results.length < jobs.length) {
        throw new Error(`group commit: no result for job ${results.length} of ${jobs.length}`);
      }
      await previousAck;
      if (round.poisoned) return results;
      await this.options.ack?.(jobs, results);
      return results;
    })();
    const ackDone = acked.then(() => undefined);
    ackDone.catch(() => undefined);
    this.lastAck = ackDone;
    this.lastAckOf.set(round.seq, previousAck);
    const settled = acked.then(
      (results) => {
        if (round.poisoned) return;
        taken.forEach((t, i) => t.resolve(results[i] as R));
      },
      (e: unknown) => this.fail(round, e),
    );
    this.settled.set(round.seq, settled);
    void settled.finally(() => {
      const i = this.active.indexOf(round);
      if (i >= 0) this.active.splice(i, 1);
      this.settled.delete(round.seq);
      this.lastAckOf.delete(round.seq);
      this.schedule();
    });
    // Another round may start beside this one (up to maxInFlight).
    this.schedule();
  }

  /**
   * Round `failed` failed (its run, its ack, or the previous ack it waited for). Unless an
   * earlier failure poisoned it already: poison it and every later round and every queued job,
   * tell `onPoison`, reject them all. New rounds wait for the acknowledgement that `failed`
   * waited for (the last round that may still succeed).
   */
  private fail(failed: Round<J, R>, error: unknown): void {
    if (failed.poisoned) return;
    const rounds = this.active.filter((r) => r.seq >= failed.seq && !r.poisoned);
    for (const r of rounds) r.poisoned = true;
    const queued = this.queue.splice(0, this.queue.length);
    const entries = [...rounds.flatMap((r) => r.entries), ...queued];
    this.lastAck = this.lastAckOf.get(failed.seq) ?? Promise.resolve();
    try {
      this.options.onPoison?.(
        entries.map((e) => e.job),
        error,
      );
    } catch {
      // The caller's hook must not stop the rejections: none of these jobs is acknowledged.
    }
    for (const e of entries) e.reject(error);
    this.wakeRoomWaiters();
  }
}
