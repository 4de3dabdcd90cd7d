import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import {
  AUDIT_LOG_STORE,
  type AuditLogStore,
  type StoredCheckpoint,
} from '../../ports/audit-log-store.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import type { CheckpointView } from '../checkpoint.view';
import { GetCheckpointQuery } from './get-checkpoint.query';

/** Verifies a stored checkpoint before serving it: a tampered row is never passed on as signed. */
export async function checkpointView(
  signer: AuditSigner,
  cp: StoredCheckpoint,
): Promise<CheckpointView> {
  const { kid, body } = await signer.verifyCheckpoint(cp.jws);
  if (body.treeSize !== cp.treeSize || body.rootHash !== cp.rootHash.toString('hex')) {
    throw new AuditError(
      AuditErrorCode.SIGNATURE_INVALID,
      `checkpoint row ${cp.treeSize} differs from its signed body`,
    );
  }
  return { treeSize: body.treeSize, rootHash: body.rootHash, jws: cp.jws, kid, body };
}

@QueryHandler(GetCheckpointQuery)
export class GetCheckpointHandler implements IQueryHandler<GetCheckpointQuery> {
  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
  ) {}

  async execute(): Promise<CheckpointView> {
    const latest = await this.store.latestCheckpoint();
    if (!latest) throw new AuditError(AuditErrorCode.NO_CHECKPOINT, 'the audit log is empty');
    return checkpointView(this.signer, latest);
  }
}
