import type { NodeRef } from '../../domain/merkle/merkle-nodes';

/** One stored record of the log. */
export interface StoredEntry {
  /** 0-based position: the Merkle leaf index. */
  readonly index: number;
  readonly entryKey: string;
  readonly kind: 'certificate' | 'outcome';
  readonly certificateId: string | null;
  /** The leaf data (canonical JSON bytes of the entry). */
  readonly data: Buffer;
  readonly leafHash: Buffer;
  readonly prevHash: Buffer;
  readonly chainHash: Buffer;
  readonly appendedAt: Date;
}

export interface StoredCheckpoint {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly jws: string;
}

/** The tail of the log as the single writer sees it, under the lock. */
export interface LogTail {
  readonly size: number;
  readonly chainHead: Buffer;
  /**
   * The compact range of the tree of `size` leaves: the hashes of its complete subtrees
   * rangeNodes(0, size), largest first (O(log n); the next root needs nothing else).
   */
  readonly compactRange: readonly Buffer[];
}

export interface NewEntry {
  readonly entryKey: string;
  readonly kind: 'certificate' | 'outcome';
  readonly certificateId: string | null;
  readonly data: Buffer;
  readonly leafHash: Buffer;
  readonly prevHash: Buffer;
  readonly chainHash: Buffer;
}

export interface AppendPlan {
  readonly entry: NewEntry;
  readonly checkpoint: StoredCheckpoint;
}

/**
 * An entry (leaf index, leaf data, stored leaf hash) and the latest checkpoint, either absent, and
 * the stored nodes the entry's audit path is made of. Path element `step` (bottom up, 0-based) is
 * one stored node, or, for the element at the right edge of a tree whose size is not a power of
 * two, several (left to right) that fold into it: node(P1, node(P2, … Pk)). `hash` is undefined
 * where the store lacks the node.
 */
export interface EntryAtCheckpoint {
  readonly entry: Pick<StoredEntry, 'index' | 'data' | 'leafHash'> | null;
  readonly checkpoint: StoredCheckpoint | null;
  readonly pathNodes: readonly { readonly step: number; readonly hash: Buffer | undefined }[];
}

/**
 * One export batch, the leaves [from, from + count), as the bytes the database sent and offsets
 * into them (no object or string per leaf). For leaf from + i:
 * - its leaf hash is `bytes[leafHashAt[i], + 32)`;
 * - its previous and its chain hash, as 64 lowercase hex digits, are at `prevHexAt[i]` and
 *   `chainHexAt[i]`;
 * - its leaf data is `bytes[dataStart[i], dataEnd[i])` when it was appended in the asked range
 *   (dataStart[i] = -1 otherwise), and the byte before it is 0x00, so that
 *   `bytes[dataStart[i] − 1, dataEnd[i])` is the RFC 6962 leaf hash's input 0x00 ‖ data.
 * `nodes` holds the stored hashes of the asked Merkle nodes, in order (undefined: missing).
 */
export interface ExportBatch {
  readonly from: number;
  readonly count: number;
  readonly bytes: Buffer;
  readonly leafHashAt: Int32Array;
  readonly prevHexAt: Int32Array;
  readonly chainHexAt: Int32Array;
  readonly dataStart: Int32Array;
  readonly dataEnd: Int32Array;
  readonly nodes: readonly (Buffer | undefined)[];
}

/** Append times [from, to); null: unbounded. */
export interface AppendTimeRange {
  readonly from: Date | null;
  readonly to: Date | null;
}

/** Where the entries of a time range lie among the first `treeSize` leaves. */
export interface ExportSpan {
  readonly first: number | null;
  readonly last: number | null;
  readonly count: number;
}

export type AppendResult =
  | { readonly created: true; readonly entry: StoredEntry; readonly checkpoint: StoredCheckpoint }
  | { readonly created: false; readonly entry: StoredEntry };

/**
 * The append-only store (adapter: infrastructure/postgres). The database refuses UPDATE, DELETE and
 * TRUNCATE on it (trigger and privileges, docs/adr/0008-audit-log.md).
 */
export interface AuditLogStore {
  /**
   * Appends exactly once per entry key. Under the single-writer lock: if `entryKey` is already in
   * the log, returns it (created: false) without calling `plan`; otherwise calls `plan` with the
   * tail and stores the entry and its checkpoint in one transaction.
   */
  append(entryKey: string, plan: (tail: LogTail) => Promise<AppendPlan>): Promise<AppendResult>;
  findByKey(entryKey: string): Promise<StoredEntry | null>;
  /**
   * The entry with this key, the latest checkpoint and the stored Merkle nodes of the entry's
   * audit path in that checkpoint's tree, read in one statement (one snapshot, one round trip):
   * what a certificate lookup serves.
   */
  findWithInclusionNodes(entryKey: string): Promise<EntryAtCheckpoint>;
  /** The first `size` leaf hashes (all when omitted). */
  leafHashes(size?: number): Promise<Buffer[]>;
  /** The leaf hashes of the entries with index in [from, to), in order. */
  leafHashRange(from: number, to: number): Promise<Buffer[]>;
  /**
   * The hashes of complete Merkle nodes (level 0: leaf hashes; above: the node table the
   * database fills on every insert), aligned with `refs`; undefined where there is none.
   */
  nodeHashes(refs: readonly NodeRef[]): Promise<(Buffer | undefined)[]>;
  /** The entries below `treeSize` appended in `range`: first and last index, and how many. */
  exportSpan(treeSize: number, range: AppendTimeRange): Promise<ExportSpan>;
  /**
   * The leaves with index in [from, to), in order, leaf data only for those appended in `range`,
   * and the stored hashes of `nodes`: one connection, one round trip for the leaves (the export's
   * batches; a gap in [from, to) is PROOF_INVALID).
   */
  exportBatch(
    from: number,
    to: number,
    range: AppendTimeRange,
    nodes: readonly NodeRef[],
  ): Promise<ExportBatch>;
  /** Every entry, in order. */
  entries(): Promise<StoredEntry[]>;
  latestCheckpoint(): Promise<StoredCheckpoint | null>;
  checkpointAt(treeSize: number): Promise<StoredCheckpoint | null>;
  checkpoints(): Promise<StoredCheckpoint[]>;
}

export const AUDIT_LOG_STORE = Symbol('AuditLogStore');
