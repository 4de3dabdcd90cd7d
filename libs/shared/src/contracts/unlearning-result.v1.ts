/**
 * The messages on `lethe.unlearning-results.v1` (key = modelId): what a worker reports about one
 * attempt of a job (an unlearning job or a training job). CloudEvents 1.0 structured JSON,
 * `type` = UNLEARNING_RESULT_TYPE_V1, `data.kind` discriminates. A new shape is a new type
 * (`...v2`) published beside this one, never a change to it (docs/contracts.md §2).
 *
 * Idempotency: (jobId, attempt, kind) for `started`/terminal kinds, (jobId, attempt, seq) for
 * `progress`. A redelivered result changes nothing on the governance side.
 *
 * Trust: the governance service accepts a `succeeded`/`trained` result only after verifying
 * `certificate` (a JWS, docs/adr/0008-audit-log.md) against its key ring's JWKS, and checks that
 * the signed payload names the same job's model, versions and digests as the message. Nothing
 * here is computed from private values (the noise-free chain, raw subject ids).
 */
export const UNLEARNING_RESULT_TYPE_V1 = 'lethe.unlearning.result.v1';

interface ResultBase {
  readonly jobId: string;
  readonly modelId: string;
  /** The job message's attempt this result belongs to. */
  readonly attempt: number;
  readonly workerId: string;
  /** RFC 3339 UTC. */
  readonly at: string;
}

/** Long work, in public terms only (stage and counts; never a measured value of the chain). */
export type JobProgressStage =
  'loading' | 'training' | 'inverse-hvp' | 'retraining' | 'evaluating' | 'signing' | 'storing';

export type UnlearningResultDataV1 =
  | (ResultBase & { readonly kind: 'started' })
  | (ResultBase & {
      readonly kind: 'progress';
      /** 1, 2, 3… per (jobId, attempt): orders progress and dedups redeliveries. */
      readonly seq: number;
      readonly stage: JobProgressStage;
      /** Epochs, LiSSA/CG iterations, … done so far, and the total when known. */
      readonly done: number;
      readonly total: number | null;
    })
  | (ResultBase & {
      /** An unlearning job released a new version, or the subject's data was in no version. */
      readonly kind: 'succeeded';
      readonly method: 'newton-lissa' | 'convex-newton' | 'retrain' | 'sisa-shard' | 'no-op';
      readonly versionBefore: number;
      /** Equal to versionBefore for `no-op`. */
      readonly versionAfter: number;
      readonly digestBefore: string;
      readonly digestAfter: string;
      readonly certificateId: string;
      /** JWS compact (EdDSA, Ed25519, with kid) over the certificate payload's canonical JSON. */
      readonly certificate: string;
      /**
       * Why the model's policy chose `method`, in public codes (optional; the signed certificate's
       * `evidence.policy` is the record of truth), e.g. `convex-newton refused
       * (private-check-failed); retrain chosen`.
       */
      readonly reason?: string;
    })
  | (ResultBase & {
      /** A training job stored the model's first version (no certificate: nothing was deleted). */
      readonly kind: 'trained';
      readonly version: number;
      readonly digest: string;
      /** Public figures of the trained model: accuracy on the training and test splits, etc. */
      readonly metrics: Readonly<Record<string, number>>;
    })
  | (ResultBase & {
      /** The policy cannot be honoured by a certified update and retraining is not allowed. */
      readonly kind: 'needs-retrain';
      readonly code: string;
      readonly reason: string;
    })
  | (ResultBase & {
      readonly kind: 'failed';
      /** A stable error code (e.g. DATASET_SOURCE_UNAVAILABLE, MODEL_STORE_VERSION_CONFLICT). */
      readonly code: string;
      readonly reason: string;
      readonly retryable: boolean;
    });

export type UnlearningResultKind = UnlearningResultDataV1['kind'];

export interface UnlearningResultMessageV1 {
  readonly specversion: '1.0';
  /** Unique per result: `${jobId}/${attempt}/${kind}` (`/${seq}` for progress). */
  readonly id: string;
  /** `urn:lethe:unlearning-worker:<workerId>` */
  readonly source: string;
  readonly type: typeof UNLEARNING_RESULT_TYPE_V1;
  /** The model id. */
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: UnlearningResultDataV1;
}

/** The CloudEvents id of a result message (see UnlearningResultMessageV1.id). */
export function unlearningResultMessageId(d: UnlearningResultDataV1): string {
  const base = `${d.jobId}/${d.attempt}/${d.kind}`;
  return d.kind === 'progress' ? `${base}/${d.seq}` : base;
}
