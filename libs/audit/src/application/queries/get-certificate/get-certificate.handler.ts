import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import type { CertificateEntry } from '../../../domain/log/audit-entry';
import { verifyInclusion } from '../../../domain/merkle/rfc6962';
import { MERKLE_NODE_INDEX, type MerkleNodeIndex } from '../../merkle-node-index';
import { AUDIT_LOG_STORE, type AuditLogStore } from '../../ports/audit-log-store.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import type { CheckpointView } from '../checkpoint.view';
import { checkpointView } from '../get-checkpoint/get-checkpoint.handler';
import { GetCertificateQuery, type CertificateView } from './get-certificate.query';

@QueryHandler(GetCertificateQuery)
export class GetCertificateHandler implements IQueryHandler<GetCertificateQuery> {
  private lastCheckpoint: CheckpointView | null = null;

  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
    @Inject(MERKLE_NODE_INDEX) private readonly index: MerkleNodeIndex,
  ) {}

  async execute(q: GetCertificateQuery): Promise<CertificateView> {
    const entry = await this.store.findByKey(`certificate:${q.certificateId}`);
    if (!entry) {
      throw new AuditError(
        AuditErrorCode.CERTIFICATE_NOT_FOUND,
        `no certificate ${q.certificateId}`,
        {
          certificateId: q.certificateId,
        },
      );
    }
    const stored = await this.store.latestCheckpoint();
    if (!stored)
      throw new AuditError(AuditErrorCode.NO_CHECKPOINT, 'the audit log has no checkpoint');
    // The checkpoint changes once per append; lookups in between reuse its verified view.
    const cached = this.lastCheckpoint;
    const checkpoint =
      cached && cached.jws === stored.jws ? cached : await checkpointView(this.signer, stored);
    this.lastCheckpoint = checkpoint;
    // O(log n) stored subtree hashes, one query (merkle-node-index.ts).
    const hashes = await this.index.inclusionProof(entry.index, checkpoint.treeSize);
    // Serve only what verifies: the proof against the signed root, the JWS against the JWKS.
    verifyInclusion(entry.index, checkpoint.treeSize, entry.leafHash, hashes, stored.rootHash);
    const { jws } = JSON.parse(entry.data.toString('utf8')) as CertificateEntry;
    const verified = await this.signer.verifyCertificate(jws);
    return {
      certificateId: q.certificateId,
      jws,
      kid: verified.kid,
      payload: verified.payload,
      inclusionProof: {
        leafIndex: entry.index,
        treeSize: checkpoint.treeSize,
        leafData: entry.data.toString('hex'),
        leafHash: entry.leafHash.toString('hex'),
        hashes: hashes.map((h) => h.toString('hex')),
      },
      checkpoint,
    };
  }
}
