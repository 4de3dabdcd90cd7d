import { DatasetId, type JobDatasetV1 } from '@lethe/shared';
import { datasetDecider } from '../../domain/dataset/dataset.decider';
import { streams } from '../../domain/shared/stream-names';
import type { GovernanceTransaction } from '../unit-of-work/governance-transaction';

/**
 * Each dataset with the source descriptor registered for it (`POST /v1/datasets` `source`; null
 * when none): the `datasets` of job messages (docs/contracts.md §2.1). Sorted by dataset id.
 */
export async function jobDatasetsOf(
  tx: GovernanceTransaction,
  datasetIds: readonly string[],
): Promise<JobDatasetV1[]> {
  const out: JobDatasetV1[] = [];
  for (const datasetId of [...new Set(datasetIds)].sort()) {
    const state = await tx.state(streams.dataset(DatasetId(datasetId)), datasetDecider);
    out.push({ datasetId, source: state.status === 'registered' ? state.source : null });
  }
  return out;
}
