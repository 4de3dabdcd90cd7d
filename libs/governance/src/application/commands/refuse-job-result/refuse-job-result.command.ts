import { Command } from '@nestjs/cqrs';
import type { JobId } from '@lethe/shared';

/** Where a refused result message was read from (its dead-letter record's key). */
export interface ResultOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Record that a result message was refused, with its stable code: a row in the refused-results
 * record (the operator's dead letter) and, when the message names a known job, an
 * UnlearningJobResultRefused event on it. Nothing else changes (docs/adr/0010-job-results.md).
 */
export class RefuseJobResultCommand extends Command<void> {
  constructor(
    readonly origin: ResultOrigin,
    readonly code: string,
    readonly reason: string,
    readonly message: {
      readonly id: string | null;
      readonly jobId: JobId | null;
      readonly modelId: string | null;
      readonly kind: string | null;
      readonly attempt: number | null;
      /** The message value as received (results carry no raw subject ids), cut to 64 KiB. */
      readonly value: string | null;
    },
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
