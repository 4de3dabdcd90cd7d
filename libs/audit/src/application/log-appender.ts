import { AuditError, AuditErrorCode } from '../domain/audit.errors';
import { entryKey, entryLeafData, linkEntry, type AuditEntry } from '../domain/log/audit-entry';
import { CHECKPOINT_SCHEMA, type CheckpointBody } from '../domain/log/checkpoint';
import { appendToCompactRange, foldNodes } from '../domain/merkle/merkle-nodes';
import type { AuditLogStore, StoredCheckpoint, StoredEntry } from './ports/audit-log-store.port';
import type { AuditLogOptions } from './ports/audit-options.port';
import type { AuditSigner } from './ports/signing.port';

export interface AppendOutcome {
  readonly entry: StoredEntry;
  /** False when the entry was already in the log (an idempotent repeat). */
  readonly created: boolean;
  /** The checkpoint written with the entry (null for a repeat). */
  readonly checkpoint: StoredCheckpoint | null;
}

/**
 * Appends one entry exactly once: its leaf data, leaf hash and chain hash, and a new signed
 * checkpoint over the grown tree, all in the store's single-writer transaction. A repeat with the
 * same content returns the stored entry; a repeat with other content is AUDIT_ENTRY_CONFLICT.
 */
export async function appendEntry(
  store: AuditLogStore,
  signer: AuditSigner,
  options: AuditLogOptions,
  entry: AuditEntry,
): Promise<AppendOutcome> {
  const key = entryKey(entry);
  const data = entryLeafData(entry);
  const result = await store.append(key, async (tail) => {
    const link = linkEntry(data, tail.chainHead);
    const treeSize = tail.size + 1;
    // O(log n): the compact range grown by the new leaf (the database writes the same nodes).
    const rootHash = foldNodes(appendToCompactRange(tail.compactRange, tail.size, link.leafHash));
    const body: CheckpointBody = {
      schema: CHECKPOINT_SCHEMA,
      origin: options.origin,
      treeSize,
      rootHash: rootHash.toString('hex'),
      chainHead: link.chainHash.toString('hex'),
      issuedAt: (options.now?.() ?? new Date()).toISOString(),
    };
    return {
      entry: {
        entryKey: key,
        kind: entry.kind,
        certificateId: entry.kind === 'certificate' ? entry.certificateId : null,
        data,
        leafHash: link.leafHash,
        prevHash: Buffer.from(tail.chainHead),
        chainHash: link.chainHash,
      },
      checkpoint: { treeSize, rootHash, jws: await signer.signCheckpoint(body) },
    };
  });
  if (!result.created && !result.entry.data.equals(data)) {
    throw new AuditError(
      AuditErrorCode.AUDIT_ENTRY_CONFLICT,
      `${key} is already in the audit log with other content`,
      { entryKey: key, leafIndex: result.entry.index },
    );
  }
  return {
    entry: result.entry,
    created: result.created,
    checkpoint: result.created ? result.checkpoint : null,
  };
}
