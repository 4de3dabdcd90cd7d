import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { assertOutcomeEntry, type OutcomeEntry } from '../../../domain/log/audit-entry';
import { appendEntry } from '../../log-appender';
import { AUDIT_LOG_STORE, type AuditLogStore } from '../../ports/audit-log-store.port';
import { AUDIT_LOG_OPTIONS, type AuditLogOptions } from '../../ports/audit-options.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import { AppendOutcomeCommand, type AppendOutcomeResult } from './append-outcome.command';

@CommandHandler(AppendOutcomeCommand)
export class AppendOutcomeHandler implements ICommandHandler<AppendOutcomeCommand> {
  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
    @Inject(AUDIT_LOG_OPTIONS) private readonly options: AuditLogOptions,
  ) {}

  async execute(c: AppendOutcomeCommand): Promise<AppendOutcomeResult> {
    const entry: OutcomeEntry = {
      kind: 'outcome',
      outcomeId: c.outcomeId,
      outcome: c.outcome,
      requestIds: [...c.requestIds],
      subjectRefs: [...c.subjectRefs],
      recordedAt: c.recordedAt.toISOString(),
    };
    assertOutcomeEntry(entry);
    const appended = await appendEntry(this.store, this.signer, this.options, entry);
    return { outcomeId: c.outcomeId, leafIndex: appended.entry.index, created: appended.created };
  }
}
