import { Command } from '@nestjs/cqrs';
import type { DeletionRequestId } from '@lethe/shared';
import type { GovernanceError } from '../../../domain/governance.errors';
import type { DeletionRequestedCloudEvent } from './request-deletion.dto';

export interface DeletionIntakeItem {
  readonly event: DeletionRequestedCloudEvent;
  /** When this door received it (the statutory clock starts no later than this). */
  readonly receivedAt: Date;
  /** Correlation id of this item's events (Kafka: header or CloudEvent id); default: the command's. */
  readonly correlationId?: string;
}

export type DeletionIntakeOutcome =
  | { readonly ok: true; readonly requestId: DeletionRequestId; readonly created: boolean }
  | { readonly ok: false; readonly error: GovernanceError };

/**
 * Accept deletion requests: one from HTTP, a whole Kafka batch from the consumer. Both doors use
 * this one command, so validation, idempotency and the events are the same. The result has one
 * outcome per item, in order; the events of every accepted item are durable when it resolves.
 */
export class RequestDeletionCommand extends Command<readonly DeletionIntakeOutcome[]> {
  constructor(
    readonly items: readonly DeletionIntakeItem[],
    readonly channel: 'kafka' | 'http',
    readonly actor: string,
    readonly correlationId: string,
    /**
     * Called once the transaction is open, just before its append statement is issued: the Kafka
     * door's parallel writers start preparing the next group then (ADR 0013).
     */
    readonly sending?: () => void,
  ) {
    super();
  }
}
