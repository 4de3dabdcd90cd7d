/**
 * The message on `lethe.unlearning-jobs.v1` (key = modelId): one attempt of one unlearning job.
 * CloudEvents 1.0 structured JSON, `type` = UNLEARNING_JOB_TYPE_V1. A new shape is a new type
 * (`...v2`) published beside this one, never a change to it.
 *
 * The worker's idempotency key is (jobId, attempt); it reports back with the result messages that
 * the governance service consumes (`RecordJobResultCommand` in @lethe/governance). Shared by the
 * governance service (producer) and the unlearning worker (consumer), so it lives in @lethe/shared.
 */
export const UNLEARNING_JOB_TYPE_V1 = 'lethe.unlearning.job.v1';

export interface UnlearningJobRecordRef {
  readonly datasetId: string;
  readonly recordId: string;
}

export interface UnlearningJobDataV1 {
  readonly jobId: string;
  readonly modelId: string;
  /** 1-based; a redelivered message has the same attempt, a retry has the next one. */
  readonly attempt: number;
  /** Version of the model the job starts from. */
  readonly baseVersion: number;
  readonly requestIds: readonly string[];
  /** Pseudonymous subject references (HMAC), never raw subject ids. */
  readonly subjectRefs: readonly string[];
  /** The training records to forget (the subjects' records that `baseVersion` was trained on). */
  readonly records: readonly UnlearningJobRecordRef[];
  /** Earliest statutory deadline among the requests. */
  readonly deadline: string | null;
  readonly dispatchedAt: string;
}

export interface UnlearningJobMessageV1 {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: typeof UNLEARNING_JOB_TYPE_V1;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: UnlearningJobDataV1;
}
