import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { deletionRequestDecider } from '../../../domain/deletion-request/deletion-request.decider';
import { GovernanceError } from '../../../domain/governance.errors';
import { streams } from '../../../domain/shared/stream-names';
import { runGovernanceTransaction } from '../../unit-of-work/governance-transaction';
import { RecordsStore } from '../../ports/records-store.port';
import { metadataFor } from '../../metadata';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { EraseSubjectRecordsCommand } from './erase-subject-records.command';

/** DELETE the records and append SubjectRecordsErased in one transaction (the decider guards both). */
@CommandHandler(EraseSubjectRecordsCommand)
export class EraseSubjectRecordsHandler implements ICommandHandler<EraseSubjectRecordsCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly records: RecordsStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(c: EraseSubjectRecordsCommand) {
    const meta = metadataFor(this.clock, c.correlationId, c.actor);
    return runGovernanceTransaction(this.dataSource, meta, async (tx) => {
      const target = streams.deletionRequest(c.requestId);
      const request = await tx.state(target, deletionRequestDecider);
      if (request.status === 'absent') {
        throw new GovernanceError(
          'REQUEST_NOT_FOUND',
          `deletion request ${c.requestId} does not exist`,
          {
            requestId: c.requestId,
          },
        );
      }
      if (request.recordsErased) return { requestId: c.requestId, erased: 0 };
      if (request.status !== 'certified') {
        // Let the decider refuse before anything is deleted.
        await tx.decide(target, deletionRequestDecider, {
          type: 'EraseSubjectRecords',
          data: {
            requestId: c.requestId,
            recordCount: 0,
            datasetIds: [],
            now: this.clock.now().toISOString(),
          },
        });
      }
      const erased = await this.records.erase(tx.manager, request.subjectRef, request.scope);
      await tx.decide(target, deletionRequestDecider, {
        type: 'EraseSubjectRecords',
        data: {
          requestId: c.requestId,
          recordCount: erased.length,
          datasetIds: [...new Set(erased.map((r) => r.datasetId))].sort(),
          now: this.clock.now().toISOString(),
        },
      });
      return { requestId: c.requestId, erased: erased.length };
    });
  }
}
