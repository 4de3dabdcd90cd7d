import type { UnlearningResultDataV1 } from '@lethe/shared';
import type { JobDependencies } from './job-context';
import { failureOf, JobError, JobErrorCode } from './job-errors';
import { parseJobMessage, type Job } from './job-message';
import type { StagedEffect } from './job-ports';
import { JobSpans, type JobPhase } from './job-spans';
import { ProgressReporter } from './progress-reporter';
import { applyTraining, computeTraining } from './run-training-job';
import { applyUnlearning, computeUnlearning, type ComputedUnlearning } from './run-unlearning-job';

/** What became of one job message. */
export type JobOutcome =
  /** A terminal result was published now (computed, or from a staged effect after a crash). */
  | {
      readonly kind: 'published';
      readonly result: UnlearningResultDataV1;
      /** Milliseconds per phase of the job (job-spans.ts). */
      readonly spans: Readonly<Partial<Record<JobPhase, number>>>;
    }
  /** The job had finished before (a redelivery): its stored result was published again. */
  | {
      readonly kind: 'republished';
      readonly result: UnlearningResultDataV1;
      readonly spans: Readonly<Partial<Record<JobPhase, number>>>;
    }
  /** Not a job type of this worker, or refused without a job to address: logged, skipped. */
  | { readonly kind: 'skipped'; readonly reason: string };

type ResultBase = Pick<UnlearningResultDataV1, 'jobId' | 'modelId' | 'attempt' | 'workerId'>;

const resultOf = (e: StagedEffect, base: ResultBase, at: string): UnlearningResultDataV1 =>
  e.kind === 'training'
    ? { ...base, at, kind: 'trained', version: e.version, digest: e.digest, metrics: e.metrics }
    : {
        ...base,
        at,
        kind: 'succeeded',
        method: e.method,
        versionBefore: e.versionBefore,
        versionAfter: e.versionAfter,
        digestBefore: e.digestBefore,
        digestAfter: e.digestAfter,
        certificateId: e.certificateId,
        certificate: e.certificate,
        ...(e.reason !== undefined ? { reason: e.reason } : {}),
      };

/**
 * Runs the jobs of lethe.unlearning-jobs.v1, one message at a time (the Kafka adapter calls
 * `handle` per message and commits the offset only after it resolves). Exactly one effect per job
 * (docs/adr/0009-unlearning-worker.md):
 * 1. a (jobId, attempt) with a recorded result → that result is published again, nothing runs;
 * 2. a job with a staged effect (a crash after staging, or a later attempt) → the effect is
 *    applied again (idempotent writes) and its result published;
 * 3. otherwise the job is computed, its effect staged write-once, then applied, then the result
 *    recorded and published.
 * Bad messages never throw: a refused job gets a `failed` result with a stable code; an unknown
 * type or an unaddressable message is logged and skipped. Only an infrastructure failure while
 * recording or publishing rejects (then the offset is not committed and the job comes again).
 */
export class JobRunner {
  constructor(private readonly deps: JobDependencies) {}

  async handle(bytes: Buffer | Uint8Array | string | null): Promise<JobOutcome> {
    const parsed = parseJobMessage(bytes);
    if (parsed.kind === 'unknown-type') {
      const reason = `unknown job type ${parsed.type ?? '(none)'}: skipped`;
      this.deps.logger.warn(reason);
      return { kind: 'skipped', reason };
    }
    if (parsed.kind === 'invalid') {
      if (!parsed.address) {
        const reason = `job message refused and not addressable (${parsed.reason}): skipped`;
        this.deps.logger.warn(reason);
        return { kind: 'skipped', reason };
      }
      const result: UnlearningResultDataV1 = {
        ...parsed.address,
        workerId: this.deps.workerId,
        at: this.now(),
        kind: 'failed',
        code: JobErrorCode.INVALID_MESSAGE,
        reason: parsed.reason,
        retryable: false,
      };
      this.deps.logger.warn(`job ${parsed.address.jobId} refused: ${parsed.reason}`);
      await this.deps.sink.publish(result);
      return { kind: 'published', result, spans: {} };
    }
    return this.run(parsed.job);
  }

  async run(job: Job): Promise<JobOutcome> {
    const { jobId, modelId, attempt } = job.data;
    const { journal, sink, logger } = this.deps;
    const spans = new JobSpans(this.deps.monotonic);
    const base: ResultBase = { jobId, modelId, attempt, workerId: this.deps.workerId };
    const done = await spans.time('journal', () => journal.result(jobId, attempt));
    if (done) {
      logger.info(`job ${jobId}/${attempt}: finished before, result published again`);
      await sink.publish(done);
      return { kind: 'republished', result: done, spans: spans.entries() };
    }
    const kept = await spans.time('journal', () => journal.staged(jobId));
    if (kept) {
      logger.info(`job ${jobId}/${attempt}: effect staged before, applying it again`);
      // The effect's step must still be this job's: a twin delivery that failed may have given it
      // back before this one staged, and another job taken it. Applying then would fork the chain
      // (two certificates for one step): refuse, retryable, as when staging found it taken.
      if (kept.kind === 'unlearning') {
        const { holder } = await spans.time('journal', () =>
          journal.claimStep(modelId, kept.step, jobId),
        );
        if (holder !== jobId) {
          throw new JobError(JobErrorCode.MODEL_BUSY, `certificate step of ${modelId} was taken`, {
            modelId,
          });
        }
      }
      await spans.time('store', () => this.apply(kept));
      return this.finish(resultOf(kept, base, this.now()), 'republished', spans);
    }
    await spans.time('started', () => sink.publish({ ...base, at: this.now(), kind: 'started' }));
    const progress = new ProgressReporter(
      base,
      (r) => sink.publish(r),
      this.deps.clock,
      this.deps.progressIntervalMs,
    );
    let result: UnlearningResultDataV1;
    try {
      const computed =
        job.type === 'training'
          ? await computeTraining(this.deps, job.data, progress, spans)
          : await computeUnlearning(this.deps, job.data, progress, spans);
      if (computed.kind === 'needs-retrain') {
        result = { ...base, at: this.now(), ...computed };
      } else {
        progress.stage('storing');
        await spans.time('store', () => this.apply(computed, spans));
        result = resultOf(computed, base, this.now());
      }
    } catch (e) {
      const f = failureOf(e);
      logger.warn(`job ${jobId}/${attempt} failed: [${f.code}] ${f.reason}`);
      result = { ...base, at: this.now(), kind: 'failed', ...f };
    }
    await spans.time('publish', () => progress.flush());
    return this.finish(result, 'published', spans);
  }

  /**
   * Records the terminal result, then publishes it: in that order, so a crash in between
   * republishes the recorded result on redelivery (the publish may be seen twice, never lost).
   */
  private async finish(
    result: UnlearningResultDataV1,
    kind: 'published' | 'republished',
    spans: JobSpans,
  ): Promise<JobOutcome> {
    await spans.time('publish', async () => {
      await this.deps.journal.recordResult(result);
      await this.deps.sink.publish(result);
    });
    this.deps.logger.info(
      `job ${result.jobId}/${result.attempt}: ${result.kind} (${spans.toString()})`,
    );
    return { kind, result, spans: spans.entries() };
  }

  private apply(e: StagedEffect | ComputedUnlearning, spans?: JobSpans): Promise<void> {
    return e.kind === 'training'
      ? applyTraining(this.deps, e)
      : applyUnlearning(this.deps, e, spans);
  }

  /**
   * A result's `at`, to the millisecond (RFC 3339 allows fractions): the loop's benchmark and the
   * governance's `queued` stage read it (docs/benchmarks.md). Certificates keep whole seconds.
   */
  private now(): string {
    return this.deps.clock().toISOString();
  }
}
