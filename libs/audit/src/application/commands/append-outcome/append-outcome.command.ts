import { Command } from '@nestjs/cqrs';

export interface AppendOutcomeResult {
  readonly outcomeId: string;
  readonly leafIndex: number;
  readonly created: boolean;
}

/**
 * Record an outcome with no model update (`no-records`: nothing of the subject was found; `no-op`:
 * nothing was trained on it) in the audit log, once per outcome id.
 */
export class AppendOutcomeCommand extends Command<AppendOutcomeResult> {
  constructor(
    readonly outcomeId: string,
    readonly outcome: 'no-records' | 'no-op',
    readonly requestIds: readonly string[],
    readonly subjectRefs: readonly string[],
    readonly recordedAt: Date,
  ) {
    super();
  }
}
