import { createHash } from 'node:crypto';
import { AuditError, AuditErrorCode } from '../audit.errors';
import { canonicalJsonBytes } from '@lethe/shared/domain';
import { SUBJECT_REF_PATTERN } from '../certificate/validate-certificate-payload';
import { HASH_SIZE, leafHash } from '../merkle/rfc6962';

/**
 * What the audit log records. Each entry's leaf data is the RFC 8785 canonical JSON of
 * `{ schema: "lethe.audit-entry/v1", ...entry }`; the Merkle leaf hash is SHA-256(0x00 ‖ data).
 */
export const AUDIT_ENTRY_SCHEMA = 'lethe.audit-entry/v1';

/** A signed certificate (its compact JWS, exactly as verified). */
export interface CertificateEntry {
  readonly kind: 'certificate';
  readonly certificateId: string;
  readonly jws: string;
}

/** An outcome that has no model update behind it: nothing to forget, or nothing trained on it. */
export interface OutcomeEntry {
  readonly kind: 'outcome';
  /** Idempotency key of the outcome (e.g. the request id): one entry per outcome id. */
  readonly outcomeId: string;
  readonly outcome: 'no-records' | 'no-op';
  readonly requestIds: readonly string[];
  readonly subjectRefs: readonly string[];
  /** RFC 3339 UTC. */
  readonly recordedAt: string;
}

export type AuditEntry = CertificateEntry | OutcomeEntry;

/** The unique key that makes appends idempotent. */
export function entryKey(entry: AuditEntry): string {
  return entry.kind === 'certificate'
    ? `certificate:${entry.certificateId}`
    : `outcome:${entry.outcomeId}`;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Checks an outcome entry (raw subject ids refused); throws INVALID_CERTIFICATE. */
export function assertOutcomeEntry(e: OutcomeEntry): void {
  const problems: string[] = [];
  if (!ID.test(e.outcomeId)) problems.push('outcomeId: required id');
  if (e.outcome !== 'no-records' && e.outcome !== 'no-op')
    problems.push('outcome: no-records | no-op');
  if (e.requestIds.length === 0 || !e.requestIds.every((r) => ID.test(r)))
    problems.push('requestIds: non-empty ids');
  if (!e.subjectRefs.every((r) => SUBJECT_REF_PATTERN.test(r))) {
    problems.push('subjectRefs: pseudonymous sr1_ references only, never raw subject ids');
  }
  if (Number.isNaN(Date.parse(e.recordedAt))) problems.push('recordedAt: RFC 3339');
  if (problems.length > 0) {
    throw new AuditError(
      AuditErrorCode.INVALID_CERTIFICATE,
      `invalid outcome entry: ${problems.join('; ')}`,
      {
        violations: problems,
      },
    );
  }
}

/** The exact bytes the Merkle leaf commits to. */
export function entryLeafData(entry: AuditEntry): Buffer {
  return canonicalJsonBytes({ schema: AUDIT_ENTRY_SCHEMA, ...entry });
}

/** The chain value before the first entry. */
export const GENESIS_CHAIN_HASH: Buffer = Buffer.alloc(HASH_SIZE);

/** chain_i = SHA-256(chain_{i−1} ‖ leafHash_i): each record holds the previous record's hash. */
export function chainHash(previous: Uint8Array, leaf: Uint8Array): Buffer {
  return createHash('sha256').update(previous).update(leaf).digest();
}

/** Leaf hash and chain hash of `data` appended after `previousChainHash`. */
export function linkEntry(
  data: Uint8Array,
  previousChainHash: Uint8Array,
): { leafHash: Buffer; chainHash: Buffer } {
  const leaf = leafHash(data);
  return { leafHash: leaf, chainHash: chainHash(previousChainHash, leaf) };
}
