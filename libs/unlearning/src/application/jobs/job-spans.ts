/**
 * The phases of one job (docs/benchmarks.md (g), "where a convex job's time goes"): the job
 * runner and the use cases time each phase, the runner logs them with the job's terminal line and
 * returns them in its outcome (the worker bench prints them). Durations only: no value of the
 * data, the chain or the factor.
 */
export type JobPhase =
  /** The journal's look-ups before computing: a recorded result, a staged effect. */
  | 'journal'
  /** `started` published. */
  | 'started'
  /** The base version, its private chain state, the certificate step claim. */
  | 'base'
  /** D_r read from the job's dataset sources (or the worker's cache of them). */
  | 'data'
  /** The kept convex factor read and decoded. */
  | 'factor-read'
  /** The engine: training, or the certified step and its private checks. */
  | 'compute'
  /** The certificate built and signed, the chain state and next factor encoded. */
  | 'sign'
  /** The effect staged in the journal (write-once, durable). */
  | 'stage'
  /** The next version's kept factor written beside its chain state. */
  | 'factor-write'
  /** The effect applied: released version, chain state, certificate link (durable). */
  | 'store'
  /** The terminal result recorded in the journal, then published. */
  | 'publish';

export class JobSpans {
  private readonly ms = new Map<JobPhase, number>();

  constructor(readonly now: () => number = () => performance.now()) {}

  add(phase: JobPhase, ms: number): void {
    this.ms.set(phase, (this.ms.get(phase) ?? 0) + ms);
  }

  async time<T>(phase: JobPhase, f: () => Promise<T>): Promise<T> {
    const t = this.now();
    try {
      return await f();
    } finally {
      this.add(phase, this.now() - t);
    }
  }

  timeSync<T>(phase: JobPhase, f: () => T): T {
    const t = this.now();
    try {
      return f();
    } finally {
      this.add(phase, this.now() - t);
    }
  }

  /** Milliseconds per phase, in the order the phases first ran. */
  entries(): Readonly<Partial<Record<JobPhase, number>>> {
    return Object.fromEntries(this.ms);
  }

  /** `base 12 ms, data 230 ms, …` (rounded to the millisecond). */
  toString(): string {
    return [...this.ms].map(([k, v]) => `${k} ${Math.round(v)} ms`).join(', ');
  }
}

/** A job run without timing (callers that do not pass spans). */
export const noSpans = (): JobSpans => new JobSpans(() => 0);
