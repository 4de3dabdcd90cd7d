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

/**
 * A dataset and where its rows are read from: the descriptor registered with
 * `POST /v1/datasets` (`source`), validated again by the worker (datasetSourceDescriptorSchema in
 * @lethe/unlearning). Null when none was registered.
 */
export interface JobDatasetV1 {
  readonly datasetId: string;
  readonly source: Readonly<Record<string, unknown>> | null;
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
  /**
   * Where the worker reads the rows of each dataset the model was trained on (optional, added
   * later in v1: absent for models trained elsewhere without a registered source).
   */
  readonly datasets?: readonly JobDatasetV1[];
  /** Earliest statutory deadline among the requests. */
  readonly deadline: string | null;
  readonly dispatchedAt: string;
  /**
   * The model's unlearning policy at dispatch (optional, added later in v1; the body of
   * `PUT /v1/models/:id/policy` or the policy registered with the model, defaults filled in).
   * The worker validates it again and uses it instead of the policy it was trained with; absent:
   * the trained policy. `policyRevision` names it (0: the registered one).
   */
  readonly policy?: Readonly<Record<string, unknown>>;
  readonly policyRevision?: number;
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

/**
 * A training job on the same topic (key = modelId): train the model's first version on the
 * records of `datasets` (every record they hold at dispatch, minus erased ones) plus `records`.
 * Same delivery rules as an unlearning job: idempotency key (jobId, attempt); the worker reports
 * with a `trained` (or `failed`) result on lethe.unlearning-results.v1.
 */
export const TRAINING_JOB_TYPE_V1 = 'lethe.training.job.v1';

export interface TrainingJobDataV1 {
  readonly jobId: string;
  readonly modelId: string;
  readonly attempt: number;
  /** The version to create: 1 for a first training. */
  readonly version: number;
  readonly datasets: readonly JobDatasetV1[];
  /** Records named one by one at registration (in addition to whole datasets). */
  readonly records: readonly UnlearningJobRecordRef[];
  /**
   * Records of `datasets` that must not be read (erased before this training; optional, added by
   * the worker's branch). The worker passes them to every read as excluded ids, so an erased
   * record's row is never parsed.
   */
  readonly excludedRecords?: readonly UnlearningJobRecordRef[];
  /**
   * The training profile and the model's unlearning policy as registered (validated by the
   * worker); empty means the worker's defaults.
   */
  readonly profile: Readonly<Record<string, unknown>>;
  readonly dispatchedAt: string;
}

export interface TrainingJobMessageV1 {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: typeof TRAINING_JOB_TYPE_V1;
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: TrainingJobDataV1;
}

/** Everything on `lethe.unlearning-jobs.v1`, discriminated by `type`. */
export type JobMessageV1 = UnlearningJobMessageV1 | TrainingJobMessageV1;
