import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { RecordId } from '@lethe/shared';
import type { FileSourceDescriptor } from '../../application/ports/dataset-source-descriptor';
import {
  DatasetSourceError,
  DatasetSourceErrorCode,
} from '../../application/ports/dataset-source.errors';
import {
  checkBatchSize,
  type DatasetBatch,
  type DatasetReadOptions,
  type DatasetShape,
  type DatasetSource,
} from '../../application/ports/dataset-source.port';
import { RecordIdIndex } from './record-id-index';
import { csvRows, ndjsonRows, type RawRow, type RowFormat } from './row-formats';

export interface FileSourceOptions {
  /** Directory that every file source must lie in (descriptor paths are relative to it). */
  readonly dataRoot: string;
  /** The duplicate-id index (tests inject a colliding fingerprint to exercise the exact check). */
  readonly newIdIndex?: () => RecordIdIndex;
}

export const MAX_RECORD_ID_LENGTH = 256;

/**
 * SHA-256 of a file's bytes, remembered by the file's (device, inode, size, mtime, ctime) — the
 * rule git uses against "racily clean" files: the digest is reused only when those are the same
 * as when it was computed AND both times were then at least 2 s in the past, so a write in the
 * same clock tick as the hashing (which could leave the times equal) can never hide behind it;
 * a later write changes ctime (set by the kernel). At most 64 files remembered.
 */
const digests = new Map<string, { readonly stamp: string; readonly digest: string }>();
const SETTLED_NS = 2_000_000_000n;

const stampOf = (s: BigIntStats): string => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

const fileDigest = async (path: string): Promise<string> => {
  const before = await stat(path, { bigint: true });
  const stamp = stampOf(before);
  const known = digests.get(path);
  if (known?.stamp === stamp) return known.digest;
  const hashedAtNs = BigInt(Date.now()) * 1_000_000n;
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  const digest = h.digest('hex');
  const after = await stat(path, { bigint: true });
  const newest = before.mtimeNs > before.ctimeNs ? before.mtimeNs : before.ctimeNs;
  digests.delete(path);
  if (stampOf(after) === stamp && hashedAtNs - newest >= SETTLED_NS) {
    digests.set(path, { stamp, digest });
    if (digests.size > 64) digests.delete(digests.keys().next().value as string);
  }
  return digest;
};

/**
 * NDJSON / CSV files of numeric features behind the `DatasetSource` port.
 *
 * - Streamed: one 64 KiB chunk, the current line and one batch in memory, plus the duplicate-id
 *   index (`RecordIdIndex`, 16–32 bytes per record id). A fingerprint hit is confirmed by
 *   re-reading the file up to that line, so the error names both lines and a hash collision is
 *   never reported as a duplicate.
 * - Every row is checked on every read (the file may have changed since registration); the first
 *   bad row throws a `DatasetSourceError` with its line number.
 * - Excluded record ids are dropped right after the id is read: their label and features are
 *   never parsed, and they never reach the caller. (The file itself still holds them: physically
 *   rewriting a file source is the dataset owner's step, see the README.)
 * - Paths are confined to `dataRoot` (after resolving symlinks).
 */
export class FileDatasetSource implements DatasetSource {
  private shapeCache: Promise<DatasetShape> | undefined;
  private readonly format: RowFormat;

  constructor(
    readonly descriptor: FileSourceDescriptor,
    private readonly options: FileSourceOptions,
  ) {
    this.format = descriptor.format === 'csv' ? csvRows : ndjsonRows;
  }

  shape(): Promise<DatasetShape> {
    this.shapeCache ??= this.computeShape();
    // A failed shape is not cached: the file may be fixed and read again.
    this.shapeCache.catch(() => {
      this.shapeCache = undefined;
    });
    return this.shapeCache;
  }

  /**
   * One full validating pass (the same checks as `read`, nothing excluded): the row count and the
   * shape. What a dataset registration runs to refuse a bad file up front.
   */
  async inspect(): Promise<{ readonly shape: DatasetShape; readonly rows: number }> {
    const shape = await this.shape();
    let rows = 0;
    for await (const b of this.scan({ exclude: new Set() }, 4096, shape.classCount, shape)) {
      rows += b.recordIds.length;
    }
    return { shape, rows };
  }

  /**
   * SHA-256 of the file's bytes as they are now (one streamed pass, no parsing) and of the
   * descriptor: any change to the file changes it. The file's digest is reused while its identity
   * and times are unchanged and were settled when it was hashed (`fileDigest`).
   */
  async fingerprint(): Promise<string> {
    const path = await this.path();
    const descriptor = createHash('sha256').update(JSON.stringify(this.descriptor)).digest('hex');
    try {
      return `file:${await fileDigest(path)}:${descriptor}`;
    } catch (e) {
      throw this.unreadable(e, 'read');
    }
  }

  async *read(options: DatasetReadOptions): AsyncGenerator<DatasetBatch> {
    const batchSize = checkBatchSize(options.batchSize);
    const shape = await this.shape();
    yield* this.scan(options, batchSize, shape.classCount, shape);
  }

  private async computeShape(): Promise<DatasetShape> {
    const d = this.descriptor;
    if (d.classCount !== undefined) {
      const path = await this.path();
      for await (const rows of this.format(path, d)) {
        const first = rows[0];
        if (first) return shapeOf(first, d.classCount);
      }
      throw new DatasetSourceError(DatasetSourceErrorCode.EMPTY, 'the file has no data row', {});
    }
    // No declared class count: one validating pass finds it (max label + 1).
    let maxLabel = -1;
    let first: RawRow | undefined;
    const scratch: { out: Float32Array } = { out: new Float32Array(0) };
    const path = await this.path();
    const index = this.newIdIndex();
    for await (const rows of this.format(path, d)) {
      for (const row of rows) {
        first ??= row;
        checkSameLayout(first, row);
        if (!this.checkId(index, row)) await this.confirmDuplicate(path, row);
        const dim = row.layout.featureNames.length;
        if (scratch.out.length !== dim) scratch.out = new Float32Array(dim);
        maxLabel = Math.max(maxLabel, row.decode(scratch.out, 0));
      }
    }
    if (!first) {
      throw new DatasetSourceError(DatasetSourceErrorCode.EMPTY, 'the file has no data row', {});
    }
    if (maxLabel < 1) {
      throw new DatasetSourceError(
        DatasetSourceErrorCode.INVALID_LABEL,
        'every label is 0: declare classCount for a dataset with one class present',
        { maxLabel },
      );
    }
    return shapeOf(first, maxLabel + 1);
  }

  private async *scan(
    { exclude, only }: DatasetReadOptions,
    batchSize: number,
    classCount: number,
    shape: DatasetShape,
  ): AsyncGenerator<DatasetBatch> {
    const dim = shape.featureDim;
    const path = await this.path();
    const index = this.newIdIndex();
    let ids: RecordId[] = [];
    let features = new Float32Array(batchSize * dim);
    let labels = new Int32Array(batchSize);
    for await (const rows of this.format(path, this.descriptor)) {
      for (const row of rows) {
        if (row.layout.featureNames.length !== dim) {
          throw new DatasetSourceError(
            DatasetSourceErrorCode.RAGGED_ROW,
            `line ${row.line}: the file now has ${row.layout.featureNames.length} features, its shape said ${dim}`,
            { line: row.line, expected: dim, actual: row.layout.featureNames.length },
          );
        }
        if (!this.checkId(index, row)) await this.confirmDuplicate(path, row);
        if (exclude.has(row.recordId) || (only && !only.has(row.recordId))) continue;
        const k = ids.length;
        const label = row.decode(features, k * dim);
        if (label >= classCount) {
          throw new DatasetSourceError(
            DatasetSourceErrorCode.INVALID_LABEL,
            `line ${row.line}: label ${label} is not below the class count ${classCount}`,
            { line: row.line, column: this.descriptor.labelColumn, label, classCount },
          );
        }
        labels[k] = label;
        ids.push(RecordId(row.recordId));
        if (ids.length === batchSize) {
          yield { recordIds: ids, features, labels, featureDim: dim };
          ids = [];
          features = new Float32Array(batchSize * dim);
          labels = new Int32Array(batchSize);
        }
      }
    }
    if (ids.length > 0) {
      const n = ids.length;
      yield {
        recordIds: ids,
        features: features.slice(0, n * dim),
        labels: labels.slice(0, n),
        featureDim: dim,
      };
    }
  }

  /**
   * Id syntax, then the fingerprint index: true when the id is new for sure; false when it is
   * probably a duplicate (then `confirmDuplicate` checks it exactly). Synchronous on the common path.
   */
  private checkId(index: RecordIdIndex, row: RawRow): boolean {
    const id = row.recordId;
    if (id.length === 0 || id.length > MAX_RECORD_ID_LENGTH) {
      throw new DatasetSourceError(
        DatasetSourceErrorCode.INVALID_RECORD_ID,
        `line ${row.line}: record id must be a string of 1–${MAX_RECORD_ID_LENGTH} characters`,
        { line: row.line, column: this.descriptor.recordIdColumn },
      );
    }
    return index.add(id);
  }

  /** Re-reads the file up to the row: a real duplicate throws, a fingerprint collision passes. */
  private async confirmDuplicate(path: string, row: RawRow): Promise<void> {
    const firstLine = await this.firstLineOf(path, row.recordId, row.line);
    if (firstLine !== null) {
      throw new DatasetSourceError(
        DatasetSourceErrorCode.DUPLICATE_RECORD_ID,
        `line ${row.line}: record id ${row.recordId} already appears on line ${firstLine}`,
        { line: row.line, firstLine, recordId: row.recordId },
      );
    }
  }

  private async firstLineOf(path: string, id: string, before: number): Promise<number | null> {
    for await (const rows of this.format(path, this.descriptor)) {
      for (const row of rows) {
        if (row.line >= before) return null;
        if (row.recordId === id) return row.line;
      }
    }
    return null;
  }

  /** The descriptor's path under dataRoot, symlinks resolved; refuses anything outside. */
  private newIdIndex(): RecordIdIndex {
    return this.options.newIdIndex?.() ?? new RecordIdIndex();
  }

  /** UNREADABLE, with the file system's code, for a failure to open or read the file. */
  private unreadable(e: unknown, verb: 'open' | 'read'): DatasetSourceError {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    return new DatasetSourceError(
      DatasetSourceErrorCode.UNREADABLE,
      `cannot ${verb} the dataset file (${code})`,
      { path: this.descriptor.path, errno: code },
    );
  }

  private async path(): Promise<string> {
    let root: string;
    let file: string;
    try {
      root = await realpath(this.options.dataRoot);
      file = await realpath(resolve(root, this.descriptor.path));
    } catch (e) {
      throw this.unreadable(e, 'open');
    }
    const rel = relative(root, file);
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new DatasetSourceError(
        DatasetSourceErrorCode.PATH_OUTSIDE_ROOT,
        'the dataset file is outside the data root',
        { path: this.descriptor.path },
      );
    }
    return file;
  }
}

const shapeOf = (row: RawRow, classCount: number): DatasetShape => ({
  featureDim: row.layout.featureNames.length,
  classCount,
  featureNames: row.layout.featureNames,
});

const checkSameLayout = (first: RawRow, row: RawRow): void => {
  if (row.layout !== first.layout) {
    throw new DatasetSourceError(
      DatasetSourceErrorCode.RAGGED_ROW,
      `line ${row.line}: layout changed`,
      { line: row.line },
    );
  }
};
