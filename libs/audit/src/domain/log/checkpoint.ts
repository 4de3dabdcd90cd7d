/**
 * A checkpoint: the log's size and Merkle root (and the hash-chain head) at one moment, signed as
 * a JWS (`typ: lethe-checkpoint+jwt`) over its RFC 8785 canonical JSON — docs/adr/0008-audit-log.md
 * says why a JWS rather than a C2SP signed note.
 */
export const CHECKPOINT_SCHEMA = 'lethe.checkpoint/v1';

export interface CheckpointBody {
  readonly schema: typeof CHECKPOINT_SCHEMA;
  /** Names the log (e.g. `lethe.audit/<deployment>`), so that checkpoints of two logs never mix. */
  readonly origin: string;
  readonly treeSize: number;
  /** Hex Merkle Tree Hash of the first treeSize entries. */
  readonly rootHash: string;
  /** Hex chain hash of entry treeSize − 1 (32 zero bytes for the empty log). */
  readonly chainHead: string;
  /** RFC 3339 UTC. */
  readonly issuedAt: string;
}

export function isCheckpointBody(v: unknown): v is CheckpointBody {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    o.schema === CHECKPOINT_SCHEMA &&
    typeof o.origin === 'string' &&
    Number.isSafeInteger(o.treeSize) &&
    (o.treeSize as number) >= 0 &&
    typeof o.rootHash === 'string' &&
    /^[0-9a-f]{64}$/.test(o.rootHash) &&
    typeof o.chainHead === 'string' &&
    /^[0-9a-f]{64}$/.test(o.chainHead) &&
    typeof o.issuedAt === 'string' &&
    Object.keys(o).length === 6
  );
}
