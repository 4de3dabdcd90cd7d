import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import { emptyRoot, verifyConsistency } from '../../../domain/merkle/rfc6962';
import { MERKLE_NODE_INDEX, type MerkleNodeIndex } from '../../merkle-node-index';
import { AUDIT_LOG_STORE, type AuditLogStore } from '../../ports/audit-log-store.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import { checkpointView } from '../get-checkpoint/get-checkpoint.handler';
import { GetConsistencyProofQuery, type ConsistencyProofView } from './get-consistency-proof.query';

@QueryHandler(GetConsistencyProofQuery)
export class GetConsistencyProofHandler implements IQueryHandler<GetConsistencyProofQuery> {
  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
    @Inject(MERKLE_NODE_INDEX) private readonly index: MerkleNodeIndex,
  ) {}

  async execute({ from, to }: GetConsistencyProofQuery): Promise<ConsistencyProofView> {
    const latest = await this.store.latestCheckpoint();
    const size = latest?.treeSize ?? 0;
    if (
      !Number.isSafeInteger(from) ||
      !Number.isSafeInteger(to) ||
      from < 0 ||
      to < 1 ||
      from > to ||
      to > size
    ) {
      throw new AuditError(
        AuditErrorCode.INVALID_PROOF_REQUEST,
        `need 0 ≤ from ≤ to ≤ ${size} and to ≥ 1, got from=${from} to=${to}`,
        { from, to, treeSize: size },
      );
    }
    const [fromStored, toStored] = await Promise.all([
      from === 0 ? Promise.resolve(null) : this.store.checkpointAt(from),
      this.store.checkpointAt(to),
    ]);
    if ((from > 0 && !fromStored) || !toStored) {
      throw new AuditError(
        AuditErrorCode.INVALID_PROOF_REQUEST,
        `no signed checkpoint at size ${fromStored ? to : from}`,
        {
          from,
          to,
        },
      );
    }
    const [fromCheckpoint, toCheckpoint] = await Promise.all([
      fromStored ? checkpointView(this.signer, fromStored) : Promise.resolve(null),
      checkpointView(this.signer, toStored),
    ]);
    const hashes = await this.index.consistencyProof(from, to);
    verifyConsistency(from, to, hashes, fromStored?.rootHash ?? emptyRoot(), toStored.rootHash);
    return { from, to, hashes: hashes.map((h) => h.toString('hex')), fromCheckpoint, toCheckpoint };
  }
}
