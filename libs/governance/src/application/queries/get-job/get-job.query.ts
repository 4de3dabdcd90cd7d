import { Query } from '@nestjs/cqrs';
import type { JobId } from '@lethe/shared';
import type { JobProgressView, JobRefusal } from '../../../domain/job/job.state';

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
  readonly scheduledAt: string;
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
