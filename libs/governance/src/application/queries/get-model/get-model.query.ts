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
  }[];
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
