import { Command } from '@nestjs/cqrs';
import type { DeletionRequestId } from '@lethe/shared';

/**
 * Erase the subject's records (in the request's scope) from the records store once the request
 * is certified. The certificate flow (next issue) sends it after recording the certificate.
 */
export class EraseSubjectRecordsCommand extends Command<{
  requestId: DeletionRequestId;
  erased: number;
}> {
  constructor(
    readonly requestId: DeletionRequestId,
    readonly actor: string,
    readonly correlationId: string,
  ) {
    super();
  }
}
