import { Query } from '@nestjs/cqrs';
import type { ModelId } from '@lethe/shared';

export interface ModelView {
  readonly modelId: string;
  readonly name: string;
  readonly description: string | null;
  readonly currentVersion: number;
  readonly registeredAt: string;
  readonly queuedRequestIds: readonly string[];
  readonly inFlightJobId: string | null;
  readonly versions: readonly {
    readonly version: number;
    readonly parentVersion: number | null;
    readonly origin: string;
    readonly jobId: string | null;
    readonly datasetIds: readonly string[];
    readonly recordCount: number;
    readonly digest: string;
    readonly registeredAt: string;
    /** SHA-256 (hex) of the released weights, when Lethe's worker produced the version. */
    readonly weightsDigest: string | null;
    readonly certificateId: string | null;
    readonly metrics: Readonly<Record<string, number>> | null;
  }[];
  /** Lethe's training of the first version, when it trains the model (null: trained elsewhere). */
  readonly training: {
    readonly jobId: string;
    readonly version: number;
    readonly status: string;
    readonly reason: string | null;
    /** Added later (absent on rows projected before training retries). */
    readonly attempt?: number;
    readonly nextAttemptAt?: string | null;
    readonly progress?: {
      readonly attempt: number;
      readonly seq: number;
      readonly stage: string;
      readonly done: number;
      readonly total: number | null;
      readonly at: string;
    } | null;
  } | null;
  /**
   * The unlearning policy in force (defaults filled in) and its revision (0: as registered; each
   * `PUT /v1/models/:id/policy` adds 1). Null: none recorded (the worker's defaults apply).
   */
  readonly policy: ({ readonly revision: number } & Readonly<Record<string, unknown>>) | null;
  readonly jobs: readonly {
    readonly jobId: string;
    readonly status: string;
    readonly attempt: number;
    readonly requestCount: number;
    readonly reason: string | null;
    readonly scheduledAt: string;
  }[];
}

export class GetModelQuery extends Query<ModelView> {
  constructor(readonly modelId: ModelId) {
    super();
  }
}
