import { Query } from '@nestjs/cqrs';
import type { JobId } from '@lethe/shared';

export interface JobView {
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
}

export class GetJobQuery extends Query<JobView> {
  constructor(readonly jobId: JobId) {
    super();
  }
}
