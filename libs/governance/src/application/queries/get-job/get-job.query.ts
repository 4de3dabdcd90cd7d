import { Query } from '@nestjs/cqrs';
import type { JobId } from '@lethe/shared';
import type { JobProgressView, JobRefusal } from '../../../domain/job/job.state';
import type { PolicyChoice } from '../../../domain/shared/policy-choice';

/** The policy's choice as the job shows it: the signed `evidence.policy` and its one-line reason. */
export interface JobPolicyView extends PolicyChoice {
  /** e.g. `convex-newton refused (private-check-failed); retrain chosen` */
  readonly reason: string;
}

export interface JobView {
  /** `training`: a model's training job (version 1), kept on the model; no requests. */
  readonly kind: 'unlearning' | 'training';
  readonly jobId: string;
  readonly modelId: string;
  readonly status: string;
  readonly attempt: number;
  readonly attemptsInRound: number;
  readonly maxAttempts: number;
  readonly baseVersion: number;
  readonly requestIds: readonly string[];
  readonly nextAttemptAt: string | null;
  readonly reason: string | null;
  readonly versionAfter: number | null;
  readonly certificateId: string | null;
  /** The certificate's method once the job succeeded (null before, and for training jobs). */
  readonly method: string | null;
  /** Why the model's policy chose that method, when the certificate states it. */
  readonly policy: JobPolicyView | null;
  readonly scheduledAt: string;
  /** Per event: version, type, time, status, and for results the method and the reason. */
  readonly history: readonly unknown[];
  /** Latest public progress of the current attempt (stage, done, total), or null. */
  readonly progress: JobProgressView | null;
  /** The last result message refused for this job (code, reason), or null. */
  readonly lastRefusal: JobRefusal | null;
  /** Training jobs: the version the job trains. */
  readonly versionToTrain?: number;
}

export class GetJobQuery extends Query<JobView> {
  constructor(readonly jobId: JobId) {
    super();
  }
}
