import { performance } from 'node:perf_hooks';
import type { CommandBus } from '@nestjs/cqrs';
import type { DataSource } from 'typeorm';
import {
  AppendCertificateCommand,
  AuditError,
  type AuditSigner,
  type CertificatePayload,
} from '@lethe/audit';
import {
  CertificateId,
  DeletionRequestId,
  isDomainError,
  JobId,
  ModelId,
  type UnlearningResultDataV1,
  type UnlearningResultMessageV1,
} from '@lethe/shared';
import type { LoggerPort } from '@lethe/shared/application';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import { GovernanceError, type GovernanceErrorCode } from '../../../domain/governance.errors';
import { jobDecider } from '../../../domain/job/job.decider';
import type { ExistingJob } from '../../../domain/job/job.state';
import { modelDecider } from '../../../domain/model/model.decider';
import type { RegisteredModel } from '../../../domain/model/model.state';
import { streams } from '../../../domain/shared/stream-names';
import { parseJobResultMessage } from '../../messages/job-result-message';
import { metadataFor } from '../../metadata';
import type { Clock } from '../../ports/clock.port';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { EraseSubjectRecordsCommand } from '../erase-subject-records/erase-subject-records.command';
import { RecordJobProgressCommand } from '../record-job-progress/record-job-progress.command';
import { RecordJobResultCommand } from '../record-job-result/record-job-result.command';
import { RecordTrainingResultCommand } from '../record-training-result/record-training-result.command';
import { RecordTrainingProgressCommand } from '../record-training-progress/record-training-progress.command';
import {
  RefuseJobResultCommand,
  type ResultOrigin,
} from '../refuse-job-result/refuse-job-result.command';
import { policyChoiceReason } from '../../../domain/shared/policy-choice';
import { certificateMismatches, type SucceededResult } from './certificate-match';
import { policyChoiceOf } from './policy-evidence';

/** What happened to one result message. */
export type ResultOutcome =
  | { readonly status: 'applied'; readonly kind: string }
  | { readonly status: 'refused'; readonly code: string; readonly reason: string };

export interface RawResultMessage extends ResultOrigin {
  readonly key: string | null;
  readonly value: Buffer | null;
}

const ACTOR = 'system:results-consumer';

class Refusal extends Error {
  constructor(
    readonly code: GovernanceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Target =
  | {
      readonly kind: 'unlearning';
      readonly job: ExistingJob;
      readonly model: RegisteredModel | null;
    }
  | { readonly kind: 'training'; readonly model: RegisteredModel };

/**
 * The governance side of one result message on `lethe.unlearning-results.v1`
 * (docs/adr/0010-job-results.md), apart from kafkajs' loop. When `process` resolves, the
 * message's effect is durable (events committed) or its refusal is recorded, so the caller may
 * commit the offset; an infrastructure error (database down) rejects and nothing is committed.
 *
 * - `started` / `failed` / `needs-retrain` → RecordJobResultCommand (the reason reaches the
 *   requests' history); `progress` → RecordJobProgressCommand; for a training job, `trained` /
 *   `failed` → RecordTrainingResultCommand.
 * - `succeeded` is accepted only when its certificate verifies against the key ring's JWKS and
 *   names this job's model, versions, digests, requests and subject references; then, in order,
 *   each step idempotent: the certificate into the audit log, the job's result (the released
 *   version registered in the model's lineage, the requests `certified` with the certificate id),
 *   the subject's records erased for every request now certified. The method and why the policy
 *   chose it (the certificate's signed `evidence.policy`, public codes only; the message's own
 *   `reason` is not trusted) go into the job's and each request's history. A redelivery repeats the steps
 *   and changes nothing; a crash between two steps is finished by the redelivery.
 * - Anything refused (bad shape, bad signature, mismatch, a result the job cannot take) is
 *   recorded with a stable code (RefuseJobResultCommand) and logged; nothing else changes.
 */
export class JobResultProcessor {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly dataSource: DataSource,
    private readonly signer: AuditSigner | null,
    private readonly clock: Clock,
    private readonly logger: Pick<LoggerPort, 'warn' | 'info'>,
  ) {}

  async process(raw: RawResultMessage): Promise<ResultOutcome> {
    let message: UnlearningResultMessageV1 | null = null;
    try {
      message = parseJobResultMessage(raw.value, raw.key);
      const kind = await this.apply(message);
      return { status: 'applied', kind };
    } catch (e) {
      const refusal = this.refusalOf(e);
      if (!refusal) throw e;
      await this.refuse(raw, message, refusal.code, refusal.message);
      return { status: 'refused', code: refusal.code, reason: refusal.message };
    }
  }

  /**
   * A rule that refuses the message refuses it; a transient failure (a concurrency conflict that
   * outlived the transaction's retries, an unavailable dependency, any infrastructure error)
   * propagates: the offset is not committed and the message comes again.
   */
  private refusalOf(e: unknown): { code: string; message: string } | null {
    if (e instanceof Refusal) return { code: e.code, message: e.message };
    if (isDomainError(e) && e.kind !== 'unavailable' && e.code !== 'CONCURRENCY_CONFLICT') {
      return { code: e.code, message: e.message };
    }
    return null;
  }

  private async refuse(
    raw: RawResultMessage,
    message: UnlearningResultMessageV1 | null,
    code: string,
    reason: string,
  ): Promise<void> {
    const d = message?.data;
    const correlationId = d ? `job:${d.jobId}` : `${raw.topic}:${raw.partition}:${raw.offset}`;
    this.logger.warn(
      `result refused (${code}) at ${raw.topic}:${raw.partition}:${raw.offset}` +
        `${d ? ` for job ${d.jobId} attempt ${d.attempt} (${d.kind})` : ''}: ${reason}`,
    );
    await this.commandBus.execute(
      new RefuseJobResultCommand(
        raw,
        code,
        reason,
        {
          id: message?.id ?? null,
          jobId: d ? JobId(d.jobId) : null,
          modelId: d?.modelId ?? null,
          kind: d?.kind ?? null,
          attempt: d?.attempt ?? null,
          value: raw.value === null ? null : raw.value.toString('utf8'),
        },
        ACTOR,
        correlationId,
      ),
    );
  }

  private async apply(message: UnlearningResultMessageV1): Promise<string> {
    const d = message.data;
    const correlationId = `job:${d.jobId}`;
    const jobId = JobId(d.jobId);
    const target = await this.targetOf(d);
    if (target.kind === 'training') return this.applyTraining(target.model, d, correlationId);
    switch (d.kind) {
      case 'started':
        await this.commandBus.execute(
          new RecordJobResultCommand(
            jobId,
            d.attempt,
            { kind: 'started', workerId: d.workerId },
            ACTOR,
            correlationId,
          ),
        );
        return d.kind;
      case 'progress':
        await this.commandBus.execute(
          new RecordJobProgressCommand(
            jobId,
            d.attempt,
            { seq: d.seq, stage: d.stage, done: d.done, total: d.total },
            ACTOR,
            correlationId,
          ),
        );
        return d.kind;
      case 'failed':
        await this.commandBus.execute(
          new RecordJobResultCommand(
            jobId,
            d.attempt,
            { kind: 'failed', reason: `${d.code}: ${d.reason}`, retryable: d.retryable },
            ACTOR,
            correlationId,
          ),
        );
        return d.kind;
      case 'needs-retrain':
        await this.commandBus.execute(
          new RecordJobResultCommand(
            jobId,
            d.attempt,
            { kind: 'needs-retrain', reason: `${d.code}: ${d.reason}` },
            ACTOR,
            correlationId,
          ),
        );
        return d.kind;
      case 'succeeded':
        await this.acceptSucceeded(target.job, target.model, d, correlationId);
        return d.kind;
      case 'trained':
        throw new Refusal(
          'RESULT_NOT_APPLICABLE',
          `job ${d.jobId} is an unlearning job; a trained result belongs to a training job`,
        );
      default:
        return assertNever(d);
    }
  }

  /** The job stream if the id is an unlearning job's, else the model whose training job it is. */
  private async targetOf(d: UnlearningResultDataV1): Promise<Target> {
    const meta = metadataFor(this.clock, `job:${d.jobId}`, ACTOR);
    const { job, model } = await runGovernanceTransaction(this.dataSource, meta, async (tx) => ({
      job: await tx.state(streams.job(JobId(d.jobId)), jobDecider),
      model: await tx.state(streams.model(ModelId(d.modelId)), modelDecider),
    }));
    const registered = model.status === 'registered' ? model : null;
    if (job.status !== 'absent') {
      if (job.modelId !== d.modelId) {
        throw new Refusal(
          'RESULT_INVALID',
          `job ${d.jobId} is on model ${job.modelId}, the result names ${d.modelId}`,
        );
      }
      return { kind: 'unlearning', job, model: registered };
    }
    if (registered?.training?.jobId === d.jobId) return { kind: 'training', model: registered };
    throw new GovernanceError('JOB_NOT_FOUND', `no job ${d.jobId} on model ${d.modelId}`, {
      jobId: d.jobId,
    });
  }

  private async applyTraining(
    model: RegisteredModel,
    d: UnlearningResultDataV1,
    correlationId: string,
  ): Promise<string> {
    const jobId = JobId(d.jobId);
    const modelId = model.modelId;
    switch (d.kind) {
      case 'started':
        return d.kind;
      case 'progress':
        // On the model: deduplicated by seq and throttled per stage, like a job's progress.
        await this.commandBus.execute(
          new RecordTrainingProgressCommand(
            modelId,
            jobId,
            d.attempt,
            { seq: d.seq, stage: d.stage, done: d.done, total: d.total },
            ACTOR,
            correlationId,
          ),
        );
        return d.kind;
      case 'trained':
        await this.commandBus.execute(
          new RecordTrainingResultCommand(
            modelId,
            jobId,
            d.attempt,
            { kind: 'trained', version: d.version, digest: d.digest, metrics: d.metrics },
            ACTOR,
            correlationId,
          ),
        );
        return d.kind;
      case 'failed':
      case 'needs-retrain':
        await this.commandBus.execute(
          new RecordTrainingResultCommand(
            modelId,
            jobId,
            d.attempt,
            {
              kind: 'failed',
              reason: `${d.code}: ${d.reason}`,
              retryable: d.kind === 'failed' && d.retryable,
            },
            ACTOR,
            correlationId,
          ),
        );
        return d.kind;
      case 'succeeded':
        throw new Refusal(
          'RESULT_NOT_APPLICABLE',
          `job ${d.jobId} is a training job; it reports trained, not succeeded`,
        );
      default:
        return assertNever(d);
    }
  }

  private async acceptSucceeded(
    job: ExistingJob,
    model: RegisteredModel | null,
    d: SucceededResult,
    correlationId: string,
  ): Promise<void> {
    const redelivery = job.status === 'succeeded' && job.certificateId === d.certificateId;
    if (d.attempt !== job.attempt) {
      throw new Refusal(
        'RESULT_NOT_APPLICABLE',
        `result of attempt ${d.attempt}, job ${job.jobId} is at attempt ${job.attempt}`,
      );
    }
    if (!redelivery && job.status !== 'dispatched' && job.status !== 'running') {
      throw new Refusal(
        'RESULT_NOT_APPLICABLE',
        `job ${job.jobId} is ${job.status}; it cannot take a success now`,
      );
    }
    // Where the time between the worker's `succeeded` and `certified` goes (docs/benchmarks.md):
    // queued = from the worker's stamp to here (Kafka, and the results ahead of this one).
    const t0 = performance.now();
    const queuedMs = Math.max(0, this.clock.now().getTime() - Date.parse(d.at));
    const payload = await this.verify(d.certificate);
    const tVerified = performance.now();
    const recordedDigestBefore = model?.weightsDigests?.[String(job.baseVersion)] ?? null;
    const problems = certificateMismatches(payload, d, job, recordedDigestBefore);
    if (problems.length > 0) {
      throw new Refusal('CERTIFICATE_MISMATCH', problems.join('; '));
    }
    // Why the policy chose the method: from the signed evidence, never the message's own `reason`.
    const { policy, problem } = policyChoiceOf(payload);
    if (problem !== null) this.logger.warn(`job ${job.jobId}: ${problem}`);
    if (policy && d.reason !== undefined && d.reason !== policyChoiceReason(policy)) {
      this.logger.warn(
        `job ${job.jobId}: the message's reason differs from the certificate's evidence.policy; ` +
          'the signed one is recorded',
      );
    }
    // 1. The audit log (exactly once per certificate id; same bytes again → the stored entry).
    const appended = await this.commandBus.execute(new AppendCertificateCommand(d.certificate));
    const tAppended = performance.now();
    // 2. The job's result: version registered in the lineage, requests unlearned → certified.
    await this.commandBus.execute(
      new RecordJobResultCommand(
        job.jobId,
        d.attempt,
        {
          kind: 'succeeded',
          versionAfter: d.versionAfter,
          certificateId: CertificateId(d.certificateId),
          digestAfter: d.digestAfter,
          method: d.method,
          ...(policy ? { policy } : {}),
        },
        ACTOR,
        correlationId,
      ),
    );
    const tRecorded = performance.now();
    // 3. Erase the subject's records, for every request this certificate completed.
    let erased = 0;
    for (const requestId of job.requestIds) {
      if (await this.certifiedAndNotErased(requestId, correlationId)) {
        const r = await this.commandBus.execute(
          new EraseSubjectRecordsCommand(DeletionRequestId(requestId), ACTOR, correlationId),
        );
        erased += r.erased;
      }
    }
    this.logger.info(
      `job ${job.jobId} succeeded (${d.method}): certificate ${d.certificateId} at leaf ` +
        `${appended.leafIndex}${appended.created ? '' : ' (already logged)'}, ` +
        `version ${d.versionAfter}, ${erased} record(s) erased; stages ms: ` +
        `queued=${queuedMs} verify=${ms(tVerified - t0)} append=${ms(tAppended - tVerified)} ` +
        `record=${ms(tRecorded - tAppended)} erase=${ms(performance.now() - tRecorded)}`,
    );
  }

  private async certifiedAndNotErased(requestId: string, correlationId: string) {
    const meta = metadataFor(this.clock, correlationId, ACTOR);
    const state = await runGovernanceTransaction(this.dataSource, meta, (tx) =>
      tx.state(streams.deletionRequest(DeletionRequestId(requestId)), deletionRequestDecider),
    );
    return state.status === 'certified' && !state.recordsErased;
  }

  /** The certificate's JWS against the key ring's JWKS (as an auditor would verify it). */
  private async verify(jws: string): Promise<CertificatePayload> {
    if (!this.signer) {
      throw new Refusal(
        'CERTIFICATE_SIGNATURE_INVALID',
        'no key ring is configured: certificates cannot be verified',
      );
    }
    try {
      return (await this.signer.verifyCertificate(jws)).payload;
    } catch (e) {
      if (e instanceof AuditError) {
        throw new Refusal('CERTIFICATE_SIGNATURE_INVALID', `${e.code}: ${e.message}`);
      }
      throw e;
    }
  }
}

const ms = (x: number): number => Math.round(x);

function assertNever(x: never): never {
  throw new Error(`unexpected result ${JSON.stringify(x)}`);
}
