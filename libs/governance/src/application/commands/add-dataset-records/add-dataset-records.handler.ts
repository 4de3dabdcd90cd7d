import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { SubjectId } from '@lethe/shared';
import { datasetDecider } from '../../../domain/dataset/dataset.decider';
import { GovernanceError } from '../../../domain/governance.errors';
import { streams } from '../../../domain/shared/stream-names';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { RecordsStore } from '../../ports/records-store.port';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import {
  SUBJECT_PSEUDONYMIZER,
  type SubjectPseudonymizer,
} from '../../ports/subject-pseudonymizer.port';
import { AddDatasetRecordsCommand } from './add-dataset-records.command';

/**
 * Writes records to the erasable store (raw subject id + its SubjectRef) and appends
 * DatasetRecordsAdded (counts only) in the same transaction. Re-sent records are left unchanged;
 * an existing record id under another subject is refused (RECORD_CONFLICT).
 */
@CommandHandler(AddDatasetRecordsCommand)
export class AddDatasetRecordsHandler implements ICommandHandler<AddDatasetRecordsCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly records: RecordsStore,
    @Inject(SUBJECT_PSEUDONYMIZER) private readonly pseudonymizer: SubjectPseudonymizer,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: AddDatasetRecordsCommand) {
    const ids = new Set<string>();
    for (const r of c.records) {
      if (ids.has(r.recordId)) {
        throw new GovernanceError('INVALID_RECORDS', `record id ${r.recordId} appears twice`, {
          recordId: r.recordId,
        });
      }
      ids.add(r.recordId);
    }
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const dataset = await tx.state(streams.dataset(c.datasetId), datasetDecider);
      if (dataset.status === 'absent') {
        throw new GovernanceError('DATASET_NOT_FOUND', `dataset ${c.datasetId} does not exist`, {
          datasetId: c.datasetId,
        });
      }
      const { added, conflicting } = await this.records.insert(
        tx.manager,
        c.datasetId,
        c.records.map((r) => ({
          ...r,
          subjectRef: this.pseudonymizer.refOf(SubjectId(r.subjectId)),
        })),
      );
      if (conflicting.length > 0) {
        throw new GovernanceError(
          'RECORD_CONFLICT',
          `${conflicting.length} record id(s) already belong to another subject`,
          { recordIds: conflicting.slice(0, 20) },
        );
      }
      const unchanged = c.records.length - added;
      await tx.decide(streams.dataset(c.datasetId), datasetDecider, {
        type: 'AddDatasetRecords',
        data: { datasetId: c.datasetId, added, unchanged, now: this.clock.now().toISOString() },
      });
      return { added, unchanged };
    });
  }
}
