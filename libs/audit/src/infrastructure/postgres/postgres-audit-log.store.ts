import type { DataSource, EntityManager } from 'typeorm';
import type {
  AppendPlan,
  AppendResult,
  AppendTimeRange,
  AuditLogStore,
  EntryAtCheckpoint,
  ExportBatch,
  ExportSpan,
  LogTail,
  StoredCheckpoint,
  StoredEntry,
} from '../../application/ports/audit-log-store.port';
import { AuditError, AuditErrorCode } from '../../domain/audit.errors';
import { GENESIS_CHAIN_HASH } from '../../domain/log/audit-entry';
import { rangeNodes, type NodeRef } from '../../domain/merkle/merkle-nodes';
import { HASH_SIZE } from '../../domain/merkle/rfc6962';
import { binaryCopyBody, copyOut, type PgQueryable } from './pg-copy-out';

/** The role the service appends as: SELECT and INSERT on the audit tables, nothing else. */
export const AUDIT_WRITER_ROLE = 'lethe_audit_writer';
/** Advisory lock namespace 'LETA': the single writer of the audit log (second key 0). */
export const AUDIT_LOG_LOCK = 0x4c455441;

interface EntryRow {
  leaf_index: string;
  entry_key: string;
  kind: 'certificate' | 'outcome';
  certificate_id: string | null;
  data: Buffer;
  leaf_hash: Buffer;
  prev_hash: Buffer;
  chain_hash: Buffer;
  appended_at: Date;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  jws: string;
}

const ENTRY_COLUMNS =
  'leaf_index, entry_key, kind, certificate_id, data, leaf_hash, prev_hash, chain_hash, appended_at';

const toEntry = (r: EntryRow): StoredEntry => ({
  index: Number(r.leaf_index),
  entryKey: r.entry_key,
  kind: r.kind,
  certificateId: r.certificate_id,
  data: r.data,
  leafHash: r.leaf_hash,
  prevHash: r.prev_hash,
  chainHash: r.chain_hash,
  appendedAt: r.appended_at,
});

const toCheckpoint = (r: CheckpointRow): StoredCheckpoint => ({
  treeSize: Number(r.tree_size),
  rootHash: r.root_hash,
  jws: r.jws,
});

/** SQL bounds of a time range: PostgreSQL's infinities stand for "unbounded". */
const timeBounds = (range: AppendTimeRange): [string, string] => [
  range.from?.toISOString() ?? '-infinity',
  range.to?.toISOString() ?? 'infinity',
];

/**
 * A certificate lookup in one statement (the store's findWithInclusionNodes), always one row: the
 * entry's columns are null when there is no such key, the checkpoint's when the log is empty. The
 * audit path of leaf m in the tree of size n, built level by level (merkle-levels.ts: the RFC 9162
 * tree): at level l the sibling (m >> l) XOR 1 covers leaves [lo, hi) = [sibling << l,
 * min((sibling + 1) << l, n)) when lo < n. A full range is one stored node (level l, index
 * sibling; level 0: the leaf hash); the partial one at the right edge is its binary decomposition
 * into complete subtrees, largest first (levels b < l where hi − lo has bit b). Every node is a
 * primary-key probe; the node table has all complete ones. The path's hashes come back as one
 * bytea (32 bytes each, in path order): no text array to parse, no hex to decode. A stored hash
 * of another length counts as absent (flagged in `absent`), so it cannot shift the hashes after it
 * and the lookup names the element it belongs to.
 */
const FIND_WITH_INCLUSION_NODES = `
  WITH e AS (SELECT leaf_index AS m, data, leaf_hash FROM audit_entries WHERE entry_key = $1),
       c AS (SELECT tree_size AS n, root_hash, jws FROM audit_checkpoints
              ORDER BY tree_size DESC LIMIT 1),
       steps AS (
         SELECT l, s.lo, LEAST(s.lo + (1::bigint << l), c.n) AS hi
           FROM e, c, generate_series(0, 62) AS l,
                LATERAL (SELECT ((e.m >> l) # 1) << l AS lo) AS s
          WHERE e.m < c.n AND s.lo < c.n),
       refs AS (
         SELECT l AS step, l AS level, lo >> l AS idx
           FROM steps WHERE hi - lo = (1::bigint << l)
         UNION ALL
         SELECT l, b, (lo + (((hi - lo) >> (b + 1)) << (b + 1))) >> b
           FROM steps, generate_series(0, 61) AS b
          WHERE hi - lo < (1::bigint << l) AND b < l AND ((hi - lo) >> b) & 1 = 1),
       path AS (
         SELECT array_agg(r.step ORDER BY r.step, r.level DESC) AS steps,
                string_agg(h.hash, ''::bytea ORDER BY r.step, r.level DESC) AS hashes,
                CASE WHEN bool_and(h.hash IS NOT NULL) THEN NULL
                     ELSE array_agg(h.hash IS NULL ORDER BY r.step, r.level DESC) END AS absent
           FROM refs AS r
           LEFT JOIN audit_entries AS le ON r.level = 0 AND le.leaf_index = r.idx
           LEFT JOIN audit_merkle_nodes AS nd
                  ON r.level > 0 AND nd.level = r.level AND nd.idx = r.idx
           CROSS JOIN LATERAL
                (SELECT CASE WHEN r.level = 0 THEN le.leaf_hash ELSE nd.hash END AS raw) AS x
           CROSS JOIN LATERAL
                (SELECT CASE WHEN octet_length(x.raw) = 32 THEN x.raw END AS hash) AS h)
  SELECT e.m AS leaf_index, e.data, e.leaf_hash, c.n AS tree_size, c.root_hash, c.jws,
         path.steps, path.hashes, path.absent
    FROM (SELECT 1) AS one
    LEFT JOIN e ON true LEFT JOIN c ON true LEFT JOIN path ON true`;

interface InclusionRow {
  leaf_index: string | null;
  data: Buffer | null;
  leaf_hash: Buffer | null;
  tree_size: string | null;
  root_hash: Buffer | null;
  jws: string | null;
  steps: number[] | null;
  hashes: Buffer | null;
  absent: boolean[] | null;
}

/** The node-postgres pool under a TypeORM DataSource (for named statements), if it has one. */
interface PgPool {
  query<R>(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}
function pgPoolOf(dataSource: DataSource): PgPool | null {
  const master = (dataSource.driver as { master?: unknown }).master;
  return typeof (master as PgPool | undefined)?.query === 'function' ? (master as PgPool) : null;
}

/**
 * The audit log in PostgreSQL (migration AuditLog1795702900000). Appends run in one transaction
 * as `lethe_audit_writer` (so even a service logged in as the tables' owner has no UPDATE, DELETE
 * or TRUNCATE there), under a transaction-scoped advisory lock: one writer at a time, so leaf
 * indexes and the chain never fork. The entry key's unique constraint makes appends exactly-once.
 */
export class PostgresAuditLogStore implements AuditLogStore {
  constructor(private readonly dataSource: DataSource) {}

  async append(
    entryKey: string,
    plan: (tail: LogTail) => Promise<AppendPlan>,
  ): Promise<AppendResult> {
    return this.dataSource.transaction(async (m: EntityManager) => {
      await m.query(`SET LOCAL ROLE ${AUDIT_WRITER_ROLE}`);
      await m.query('SELECT pg_advisory_xact_lock($1, 0)', [AUDIT_LOG_LOCK]);
      // Under the lock, READ COMMITTED sees every append that committed before ours.
      const [existing] = await m.query<EntryRow[]>(
        `SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE entry_key = $1`,
        [entryKey],
      );
      if (existing) return { created: false, entry: toEntry(existing) };
      // O(log n): the last row (primary key, backwards) and the compact range from the node table.
      const [tail] = await m.query<Pick<EntryRow, 'leaf_index' | 'chain_hash'>[]>(
        'SELECT leaf_index, chain_hash FROM audit_entries ORDER BY leaf_index DESC LIMIT 1',
      );
      const size = tail ? Number(tail.leaf_index) + 1 : 0;
      const refs = rangeNodes(0, size);
      const compact = await this.nodeHashesWith(m, refs);
      const compactRange = compact.map((h, i) => {
        if (h) return h;
        const ref = refs[i] as NodeRef;
        throw new Error(`audit Merkle node (${ref.level}, ${ref.index}) is missing`);
      });
      const { entry, checkpoint } = await plan({
        size,
        chainHead: tail?.chain_hash ?? GENESIS_CHAIN_HASH,
        compactRange,
      });
      // appended_at never goes backwards along the log (clock_timestamp() under the lock, at least
      // the previous entry's), so a range of append times is a run of consecutive leaves.
      const [inserted] = await m.query<EntryRow[]>(
        `INSERT INTO audit_entries
           (leaf_index, entry_key, kind, certificate_id, data, leaf_hash, prev_hash, chain_hash,
            appended_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, GREATEST(clock_timestamp(),
           (SELECT appended_at FROM audit_entries WHERE leaf_index = $1::bigint - 1)))
         RETURNING ${ENTRY_COLUMNS}`,
        [
          size,
          entry.entryKey,
          entry.kind,
          entry.certificateId,
          entry.data,
          entry.leafHash,
          entry.prevHash,
          entry.chainHash,
        ],
      );
      await m.query(
        'INSERT INTO audit_checkpoints (tree_size, root_hash, jws) VALUES ($1, $2, $3)',
        [checkpoint.treeSize, checkpoint.rootHash, checkpoint.jws],
      );
      return { created: true, entry: toEntry(inserted as EntryRow), checkpoint };
    });
  }

  async findByKey(entryKey: string): Promise<StoredEntry | null> {
    const [row] = await this.dataSource.query<EntryRow[]>(
      `SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE entry_key = $1`,
      [entryKey],
    );
    return row ? toEntry(row) : null;
  }

  async findWithInclusionNodes(entryKey: string): Promise<EntryAtCheckpoint> {
    // A named statement (FIND_WITH_INCLUSION_NODES): parsed and planned once per connection.
    const query = {
      name: 'lethe_audit_find_with_inclusion_nodes',
      text: FIND_WITH_INCLUSION_NODES,
    };
    const pool = pgPoolOf(this.dataSource);
    const [row] = pool
      ? (await pool.query<InclusionRow>({ ...query, values: [entryKey] })).rows
      : await this.dataSource.query<InclusionRow[]>(query.text, [entryKey]);
    const steps = row?.steps ?? [];
    const hashes = row?.hashes ?? Buffer.alloc(0);
    // The present hashes, concatenated in path order (string_agg skips the absent ones, which
    // `absent` flags, null when there are none).
    let at = 0;
    const pathNodes = steps.map((step, i) => {
      if (row?.absent?.[i] === true) return { step, hash: undefined };
      const hash = hashes.subarray(at, at + HASH_SIZE);
      at += HASH_SIZE;
      return { step, hash: hash.length === HASH_SIZE ? hash : undefined };
    });
    return {
      entry:
        row?.leaf_index != null && row.data !== null && row.leaf_hash !== null
          ? { index: Number(row.leaf_index), data: row.data, leafHash: row.leaf_hash }
          : null,
      checkpoint:
        row?.tree_size != null && row.root_hash !== null && row.jws !== null
          ? toCheckpoint({ tree_size: row.tree_size, root_hash: row.root_hash, jws: row.jws })
          : null,
      pathNodes,
    };
  }

  async leafHashes(size?: number): Promise<Buffer[]> {
    const rows = await this.dataSource.query<Pick<EntryRow, 'leaf_hash'>[]>(
      size === undefined
        ? 'SELECT leaf_hash FROM audit_entries ORDER BY leaf_index'
        : 'SELECT leaf_hash FROM audit_entries WHERE leaf_index < $1 ORDER BY leaf_index',
      size === undefined ? [] : [size],
    );
    return rows.map((r) => r.leaf_hash);
  }

  async leafHashRange(from: number, to: number): Promise<Buffer[]> {
    // One bytea of n × 32 bytes instead of n rows: the driver decodes one value, not a thousand.
    const [row] = await this.dataSource.query<{ hashes: Buffer | null }[]>(
      `SELECT string_agg(leaf_hash, ''::bytea ORDER BY leaf_index) AS hashes
         FROM audit_entries WHERE leaf_index >= $1 AND leaf_index < $2`,
      [from, to],
    );
    const all = row?.hashes ?? Buffer.alloc(0);
    const out: Buffer[] = [];
    for (let i = 0; i + HASH_SIZE <= all.length; i += HASH_SIZE) {
      out.push(all.subarray(i, i + HASH_SIZE));
    }
    return out;
  }

  async nodeHashes(refs: readonly NodeRef[]): Promise<(Buffer | undefined)[]> {
    return this.nodeHashesWith(this.dataSource.manager, refs);
  }

  /** One query: leaf hashes by primary key for level 0, the node table's key above. */
  private async nodeHashesWith(
    m: EntityManager,
    refs: readonly NodeRef[],
  ): Promise<(Buffer | undefined)[]> {
    if (refs.length === 0) return [];
    const rows = await m.query<{ ord: string; hash: Buffer | null }[]>(
      `SELECT r.ord, CASE WHEN r.level = 0 THEN e.leaf_hash ELSE n.hash END AS hash
         FROM unnest($1::smallint[], $2::bigint[]) WITH ORDINALITY AS r(level, idx, ord)
         LEFT JOIN audit_entries e ON r.level = 0 AND e.leaf_index = r.idx
         LEFT JOIN audit_merkle_nodes n ON r.level > 0 AND n.level = r.level AND n.idx = r.idx`,
      [refs.map((r) => r.level), refs.map((r) => String(r.index))],
    );
    const out: (Buffer | undefined)[] = refs.map(() => undefined);
    for (const row of rows) out[Number(row.ord) - 1] = row.hash ?? undefined;
    return out;
  }

  async exportSpan(treeSize: number, range: AppendTimeRange): Promise<ExportSpan> {
    const [row] = await this.dataSource.query<
      { first: string | null; last: string | null; count: string }[]
    >(
      `SELECT min(leaf_index) AS first, max(leaf_index) AS last, count(*) AS count
         FROM audit_entries
        WHERE leaf_index < $1 AND appended_at >= $2 AND appended_at < $3`,
      [treeSize, ...timeBounds(range)],
    );
    return {
      first: row?.first == null ? null : Number(row.first),
      last: row?.last == null ? null : Number(row.last),
      count: Number(row?.count ?? 0),
    };
  }

  async exportBatch(
    from: number,
    to: number,
    range: AppendTimeRange,
    nodes: readonly NodeRef[],
  ): Promise<ExportBatch> {
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) {
      throw new Error(`exportBatch: bad leaf range [${from}, ${to})`);
    }
    const [lo, hi] = timeBounds(range).map((t) => `'${isoOrInfinity(t)}'::timestamptz`);
    // One connection for both statements. The rows come as a binary COPY (pg-copy-out.ts): raw
    // bytes, no string per value; the hashes as hex text, as the export writes them.
    const runner = this.dataSource.createQueryRunner();
    try {
      const client = (await runner.connect()) as PgQueryable;
      const out = await copyOut(
        client,
        `COPY (SELECT leaf_index, leaf_hash, encode(prev_hash, 'hex'), encode(chain_hash, 'hex'),
                      CASE WHEN appended_at >= ${lo} AND appended_at < ${hi} THEN data END
                 FROM audit_entries
                WHERE leaf_index >= ${from} AND leaf_index < ${to}
                ORDER BY leaf_index) TO STDOUT (FORMAT binary)`,
        // ≈ 1.2 kB a row for the bench's certificates; bigger ones grow the buffer (doubling).
        (to - from) * 1536,
      );
      const stored = await this.nodeHashesWith(runner.manager, nodes);
      return { ...parseExportRows(out, from, to), nodes: stored };
    } finally {
      await runner.release();
    }
  }

  async entries(): Promise<StoredEntry[]> {
    const rows = await this.dataSource.query<EntryRow[]>(
      `SELECT ${ENTRY_COLUMNS} FROM audit_entries ORDER BY leaf_index`,
    );
    return rows.map(toEntry);
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    const [row] = await this.dataSource.query<CheckpointRow[]>(
      'SELECT tree_size, root_hash, jws FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    return row ? toCheckpoint(row) : null;
  }

  async checkpointAt(treeSize: number): Promise<StoredCheckpoint | null> {
    const [row] = await this.dataSource.query<CheckpointRow[]>(
      'SELECT tree_size, root_hash, jws FROM audit_checkpoints WHERE tree_size = $1',
      [treeSize],
    );
    return row ? toCheckpoint(row) : null;
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    const rows = await this.dataSource.query<CheckpointRow[]>(
      'SELECT tree_size, root_hash, jws FROM audit_checkpoints ORDER BY tree_size',
    );
    return rows.map(toCheckpoint);
  }
}

/** A bound of timeBounds, checked before it is written into SQL text (a COPY takes no parameters). */
const isoOrInfinity = (t: string): string => {
  if (t === 'infinity' || t === '-infinity' || /^[0-9TZ:.+-]+$/.test(t)) return t;
  throw new Error(`not a timestamp: ${t}`);
};

/**
 * The rows of an export batch's binary COPY (leaf_index, leaf_hash, prev hex, chain hex, data or
 * NULL): offsets into the output, no copy. Each present data field's length word ends right
 * before the data; its last byte (read already) becomes 0x00, the leaf hash's prefix.
 */
function parseExportRows(out: Buffer, from: number, to: number): Omit<ExportBatch, 'nodes'> {
  const count = to - from;
  const leafHashAt = new Int32Array(count);
  const prevHexAt = new Int32Array(count);
  const chainHexAt = new Int32Array(count);
  const dataStart = new Int32Array(count);
  const dataEnd = new Int32Array(count);
  const gap = (rows: number): never => {
    throw new AuditError(
      AuditErrorCode.PROOF_INVALID,
      `the audit log lacks leaves in [${from}, ${to}): ${rows} rows`,
      { from, to, rows },
    );
  };
  let p = binaryCopyBody(out);
  let i = 0;
  for (; ; i++) {
    const fields = out.readInt16BE(p);
    p += 2;
    if (fields === -1) break; // the trailer
    if (fields !== 5 || i >= count) gap(i + 1);
    // leaf_index (int8): must be from + i, so the batch has no gap.
    if (out.readInt32BE(p) !== 8) gap(i);
    if (out.readUInt32BE(p + 4) * 2 ** 32 + out.readUInt32BE(p + 8) !== from + i) gap(i);
    p += 12;
    if (out.readInt32BE(p) !== HASH_SIZE) gap(i);
    leafHashAt[i] = p + 4;
    p += 4 + HASH_SIZE;
    if (out.readInt32BE(p) !== 2 * HASH_SIZE) gap(i);
    prevHexAt[i] = p + 4;
    p += 4 + 2 * HASH_SIZE;
    if (out.readInt32BE(p) !== 2 * HASH_SIZE) gap(i);
    chainHexAt[i] = p + 4;
    p += 4 + 2 * HASH_SIZE;
    const length = out.readInt32BE(p);
    p += 4;
    if (length < 0) {
      dataStart[i] = -1;
      dataEnd[i] = -1;
    } else {
      out[p - 1] = 0x00;
      dataStart[i] = p;
      dataEnd[i] = p + length;
      p += length;
    }
  }
  if (i !== count) gap(i);
  return { from, count, bytes: out, leafHashAt, prevHexAt, chainHexAt, dataStart, dataEnd };
}
