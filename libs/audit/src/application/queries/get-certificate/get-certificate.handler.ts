import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import type { CertificatePayload } from '../../../domain/certificate/certificate-payload';
import type { CertificateEntry } from '../../../domain/log/audit-entry';
import { leafHash, nodeHash, verifyInclusion } from '../../../domain/merkle/rfc6962';
import {
  AUDIT_LOG_STORE,
  type AuditLogStore,
  type EntryAtCheckpoint,
} from '../../ports/audit-log-store.port';
import { AUDIT_SIGNER, type AuditSigner } from '../../ports/signing.port';
import type { CheckpointView } from '../checkpoint.view';
import { checkpointView } from '../get-checkpoint/get-checkpoint.handler';
import { GetCertificateQuery, type CertificateView } from './get-certificate.query';

/**
 * A certificate with its inclusion proof against the latest signed checkpoint, in one statement
 * (the entry, the latest checkpoint and the O(log n) stored subtree hashes of its audit path).
 *
 * What is served is bound to a verified signature: the checkpoint's signature is verified (once
 * per checkpoint), the leaf hash is recomputed from the stored leaf data, and the proof must lead
 * from it to the signed root. The certificate's own JWS is part of that leaf data and was verified
 * against the JWKS when it was appended (AppendCertificateHandler), so it is not verified again on
 * every read: a row changed in the database fails the proof instead (docs/adr/0019-audit-merkle-nodes.md,
 * "Reads").
 */
@QueryHandler(GetCertificateQuery)
export class GetCertificateHandler implements IQueryHandler<GetCertificateQuery> {
  private lastCheckpoint: CheckpointView | null = null;

  constructor(
    @Inject(AUDIT_LOG_STORE) private readonly store: AuditLogStore,
    @Inject(AUDIT_SIGNER) private readonly signer: AuditSigner,
  ) {}

  async execute(q: GetCertificateQuery): Promise<CertificateView> {
    const {
      entry,
      checkpoint: stored,
      pathNodes,
    } = await this.store.findWithInclusionNodes(`certificate:${q.certificateId}`);
    if (!entry) {
      throw new AuditError(
        AuditErrorCode.CERTIFICATE_NOT_FOUND,
        `no certificate ${q.certificateId}`,
        {
          certificateId: q.certificateId,
        },
      );
    }
    if (!stored)
      throw new AuditError(AuditErrorCode.NO_CHECKPOINT, 'the audit log has no checkpoint');
    // The checkpoint changes once per append; lookups in between reuse its verified view. The
    // row's own size and root are checked against that signed view on every lookup (not only when
    // the view is made): the proof below is checked against the signed root, never the row's.
    const cached = this.lastCheckpoint;
    const checkpoint =
      cached && cached.jws === stored.jws ? cached : await checkpointView(this.signer, stored);
    this.lastCheckpoint = checkpoint;
    const signedRoot = Buffer.from(checkpoint.rootHash, 'hex');
    if (stored.treeSize !== checkpoint.treeSize || !signedRoot.equals(stored.rootHash)) {
      throw new AuditError(
        AuditErrorCode.SIGNATURE_INVALID,
        `checkpoint row ${stored.treeSize} differs from its signed body`,
      );
    }
    if (entry.index >= checkpoint.treeSize) this.corrupt(q.certificateId, entry.index);
    // O(log n) stored subtree hashes, read with the entry (the store's findWithInclusionNodes).
    const hashes = foldPathNodes(pathNodes, checkpoint.treeSize);
    // Serve only what the signed root covers: the leaf hash of the bytes served, not the stored one.
    const leaf = leafHash(entry.data);
    if (!leaf.equals(entry.leafHash)) this.corrupt(q.certificateId, entry.index);
    verifyInclusion(entry.index, checkpoint.treeSize, leaf, hashes, signedRoot);
    const certificate = JSON.parse(entry.data.toString('utf8')) as Partial<CertificateEntry>;
    if (certificate.kind !== 'certificate' || certificate.certificateId !== q.certificateId) {
      this.corrupt(q.certificateId, entry.index);
    }
    const { jws } = certificate as CertificateEntry;
    const { kid, payload } = decodeCompactJws(jws);
    return {
      certificateId: q.certificateId,
      jws,
      kid,
      payload,
      inclusionProof: {
        leafIndex: entry.index,
        treeSize: checkpoint.treeSize,
        leafData: entry.data.toString('hex'),
        leafHash: leaf.toString('hex'),
        hashes: hashes.map((h) => h.toString('hex')),
      },
      checkpoint,
    };
  }

  private corrupt(certificateId: string, leafIndex: number): never {
    throw new AuditError(
      AuditErrorCode.PROOF_INVALID,
      `the stored entry of certificate ${certificateId} does not match its leaf hash or key`,
      { certificateId, leafIndex },
    );
  }
}

/**
 * The audit path from the stored nodes of each of its elements: one node, or the complete
 * subtrees (left to right) of a right-edge range, folded as RFC 9162 does: node(P1, node(P2, …)).
 */
function foldPathNodes(nodes: EntryAtCheckpoint['pathNodes'], treeSize: number): Buffer[] {
  const path: Buffer[] = [];
  let k = nodes.length;
  // Right to left, so that each element's last node comes first in the fold.
  const folded = new Map<number, Buffer>();
  while (k-- > 0) {
    const { step, hash } = nodes[k]!;
    if (hash === undefined) {
      throw new AuditError(
        AuditErrorCode.PROOF_INVALID,
        `the audit log lacks a Merkle node of element ${step} of an audit path in the tree of size ${treeSize} (none stored, or not 32 bytes)`,
        { step, treeSize },
      );
    }
    const right = folded.get(step);
    folded.set(step, right === undefined ? hash : nodeHash(hash, right));
  }
  // Steps are the levels that have a sibling (a lone right node is carried up without one).
  for (const [, hash] of [...folded].sort((x, y) => x[0] - y[0])) path.push(hash);
  return path;
}

/**
 * The kid and payload of a compact JWS the log verified on append (header and payload decoded,
 * the signature not checked again: see the class comment).
 */
function decodeCompactJws(jws: string): { kid: string; payload: CertificatePayload } {
  const [header, payload] = jws.split('.', 2);
  try {
    const { kid } = JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as {
      kid?: unknown;
    };
    if (typeof kid !== 'string') throw new Error('no kid');
    return {
      kid,
      payload: JSON.parse(
        Buffer.from(payload ?? '', 'base64url').toString('utf8'),
      ) as CertificatePayload,
    };
  } catch (e) {
    throw new AuditError(
      AuditErrorCode.SIGNATURE_INVALID,
      `the stored certificate is not a compact JWS: ${(e as Error).message}`,
    );
  }
}
