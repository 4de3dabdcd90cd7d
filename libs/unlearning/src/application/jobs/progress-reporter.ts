import type { JobProgressStage, UnlearningResultDataV1 } from '@lethe/shared';
import type { Progress } from '../progress';

type ProgressResult = Extract<UnlearningResultDataV1, { kind: 'progress' }>;

/**
 * The engine's progress phases that may be published, and their public stage. Only counts fixed
 * by settings are published (epochs, LiSSA depth, Lanczos steps); a phase whose count depends on
 * the data (CG iterations until a tolerance) is not forwarded.
 */
const STAGES: ReadonlyArray<readonly [RegExp, JobProgressStage]> = [
  [/^retrain/, 'retraining'],
  [/^train/, 'training'],
  [/^lissa$/, 'inverse-hvp'],
  [/^(constants|power)$/, 'evaluating'],
];

export const stageOf = (phase: string): JobProgressStage | null =>
  STAGES.find(([re]) => re.test(phase))?.[1] ?? null;

/**
 * Turns engine progress into `progress` results: at most one per `intervalMs` (default 500 ms,
 * ≤ 2/s), always the first of a new stage and the last of a stage; public terms only (stage,
 * done, total). Sends are chained in order; `flush()` waits for them (call it before the
 * terminal result). A failed progress send is dropped: progress is advisory.
 */
export class ProgressReporter {
  private seq = 0;
  private lastSentAt = -Infinity;
  private lastStage: JobProgressStage | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly base: Omit<ProgressResult, 'kind' | 'seq' | 'stage' | 'done' | 'total' | 'at'>,
    private readonly send: (r: ProgressResult) => Promise<void>,
    private readonly now: () => Date,
    private readonly intervalMs = 500,
  ) {}

  /** A stage change or a milestone of the worker itself (loading, signing, storing). */
  stage(stage: JobProgressStage, done = 0, total: number | null = null): void {
    this.emit(stage, done, total, true);
  }

  /** The engine's callback. */
  readonly onProgress = (p: Progress): void => {
    const stage = stageOf(p.phase);
    if (!stage) return;
    const last = p.total > 0 && p.done >= p.total;
    this.emit(stage, p.done, p.total > 0 ? p.total : null, stage !== this.lastStage || last);
  };

  private emit(stage: JobProgressStage, done: number, total: number | null, force: boolean): void {
    const t = this.now().getTime();
    if (!force && t - this.lastSentAt < this.intervalMs) return;
    this.lastSentAt = t;
    this.lastStage = stage;
    this.seq += 1;
    const r: ProgressResult = {
      ...this.base,
      kind: 'progress',
      seq: this.seq,
      stage,
      done,
      total,
      at: new Date(t).toISOString(),
    };
    this.chain = this.chain.then(() => this.send(r)).catch(() => undefined);
  }

  /** Progress results emitted so far. */
  count(): number {
    return this.seq;
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
