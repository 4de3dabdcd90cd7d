import { hash } from 'node:crypto';
import { AuditError, AuditErrorCode } from '../../../domain/audit.errors';
import {
  CERT_HEAD,
  CERT_JWS,
  CERT_TAIL,
  csvRow,
  jsonlLine,
  recordOfEntry,
  type VerifiableExportFormat,
} from '../../../domain/export/export-format';
import type { AuditEntry } from '../../../domain/log/audit-entry';
import { HASH_SIZE, verifyInclusion } from '../../../domain/merkle/rfc6962';
import type { ExportBatch } from '../../ports/audit-log-store.port';

/** Bytes per chunk of content handed to the socket (≈ 400 JSONL records). */
export const EXPORT_CHUNK_BYTES = 1 << 20;

/**
 * Lines written straight into fixed-size buffers, handed out when full: no string of a batch, and
 * for certificates no string of a line either (their bytes are copied); the socket gets chunks of
 * one size.
 */
export class ChunkWriter {
  buf = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
  used = 0;
  readonly full: Buffer[] = [];

  /** Room for `bytes` more bytes at `used` (the current chunk is handed out first if need be). */
  reserve(bytes: number): void {
    if (this.used + bytes > this.buf.length) {
      this.flush();
      if (bytes > this.buf.length) this.buf = Buffer.allocUnsafe(bytes);
    }
  }

  write(text: string): void {
    // A UTF-16 code unit never takes more than 3 bytes of UTF-8.
    this.reserve(3 * text.length);
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /** The bytes written since the last flush become a chunk of `full`. */
  flush(): void {
    if (this.used === 0) return;
    this.full.push(this.buf.subarray(0, this.used));
    this.buf = Buffer.allocUnsafe(EXPORT_CHUNK_BYTES);
    this.used = 0;
  }

  /** Takes the chunks that are full. */
  take(): Buffer[] {
    return this.full.splice(0, this.full.length);
  }
}

const HEX = 2 * HASH_SIZE;
/** One audit path element as written in a line: `"<64 hex>"` and the comma after it. */
const SLOT = HEX + 3;
const ascii = (s: string) => Buffer.from(s, 'latin1');
const HEAD = ascii(CERT_HEAD);
const JWS = ascii(CERT_JWS);
const TAIL = ascii(CERT_TAIL);
// A certificate's JSONL line (export-format.ts, certificateJsonlLine): K1 id K2 chainHash K3 path
// K4 jws K5 leafHash K6 leafIndex K7 prevHash K8.
const K1 = ascii('{"certificateId":');
const K2 = ascii(',"chainHash":"');
const K3 = ascii('","inclusionProof":{"hashes":[');
const K5 = ascii(',"kind":"certificate","leafHash":"');
const K6 = ascii('","leafIndex":');
const K7 = ascii(',"outcome":null,"prevHash":"');
const K8 = ascii('"}\n');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Copies src[at, at + length) to dst at `to`; returns the end (no Buffer object per copy). */
function put(dst: Buffer, to: number, src: Buffer, at: number, length: number): number {
  dst.set(new Uint8Array(src.buffer, src.byteOffset + at, length), to);
  return to + length;
}

/** Writes the decimal digits of a non-negative safe integer at `to`; returns the end. */
function putUint(dst: Buffer, to: number, value: number): number {
  let digits = 1;
  for (let t = value; t >= 10; t = Math.floor(t / 10)) digits++;
  let p = to + digits;
  let v = value;
  do {
    const q = Math.floor(v / 10);
    dst[--p] = 48 + v - 10 * q;
    v = q;
  } while (v > 0);
  return to + digits;
}

/**
 * One export batch after its check against the signed root, rendering its records one by one.
 *
 * The check: the batch's Merkle levels are hashed here from its leaf hashes (each level one
 * buffer), and one inclusion proof, of its first leaf, is verified against the signed root: it
 * binds the batch's root and the path above it, so every record's proof in the batch holds. Each
 * record's leaf data is hashed again (SHA-256(0x00 ‖ data)) and compared with its leaf hash before
 * a byte of it is written: the line is copied from those bytes, so what is served is bound to the
 * signed root, record by record (docs/adr/0019-audit-merkle-nodes.md, "Export").
 */
export class CheckedBatch {
  private readonly levels: Buffer[];
  /** levels[L] as hex digits, 64 bytes per node. */
  private readonly hexLevels: Buffer[];
  private readonly outerHex: string[];
  private readonly outerHexBytes: Buffer[];
  /** Whether every leaf has a sibling on every level (a full power-of-two batch). */
  private readonly full: boolean;
  /** The current audit path, rendered: `"h","h",…` (slots of SLOT bytes, the last without comma). */
  private readonly path: Buffer;
  private pathOf = -1;
  private readonly k4: Buffer;
  private readonly digest = Buffer.alloc(HASH_SIZE);
  /** The next backslash in the data at or after a position (a cursor: records come in order). */
  private backslash = -1;

  constructor(
    private readonly batch: ExportBatch,
    above: readonly Buffer[],
    private readonly treeSize: number,
    signedRoot: Buffer,
  ) {
    const { count } = batch;
    if (count === 0) throw new Error('empty export batch');
    this.levels = merkleLevelsOf(batch);
    this.hexLevels = this.levels.map((level) => ascii(level.toString('hex')));
    this.outerHex = above.map((h) => h.toString('hex'));
    this.outerHexBytes = this.outerHex.map(ascii);
    const level0 = this.levels[0] as Buffer;
    const path0: Buffer[] = [];
    for (let l = 0; l < this.levels.length - 1; l++) {
      const level = this.levels[l] as Buffer;
      if (level.length > HASH_SIZE) path0.push(level.subarray(HASH_SIZE, 2 * HASH_SIZE));
    }
    verifyInclusion(
      batch.from,
      treeSize,
      level0.subarray(0, HASH_SIZE),
      [...path0, ...above],
      signedRoot,
    );
    this.full = (count & (count - 1)) === 0;
    const depth = this.levels.length - 1;
    this.path = Buffer.alloc((depth + above.length) * SLOT);
    // The part above the batch is the same for every record: rendered once.
    this.outerHexBytes.forEach((hex, j) => this.slot(depth + j, hex, 0));
    this.k4 = ascii(`],"treeSize":${treeSize}},"jws":`);
  }

  /** Whether leaf from + i has data in the export's range (a record). */
  has(i: number): boolean {
    return (this.batch.dataStart[i] as number) >= 0;
  }

  /** Checks record i against its leaf hash and writes its line (it must have data). */
  write(i: number, format: VerifiableExportFormat, out: ChunkWriter): void {
    const { bytes, dataStart, dataEnd } = this.batch;
    const s = dataStart[i] as number;
    const e = dataEnd[i] as number;
    if (bytes[s - 1] !== 0x00) throw new Error('export batch: no leaf prefix before the data');
    this.digest.write(hash('sha256', bytes.subarray(s - 1, e), 'binary'), 0, 'latin1');
    if (this.digest.compare(this.levels[0] as Buffer, i * HASH_SIZE, (i + 1) * HASH_SIZE) !== 0) {
      const leafIndex = this.batch.from + i;
      throw new AuditError(
        AuditErrorCode.PROOF_INVALID,
        `the leaf data of leaf ${leafIndex} does not hash to its leaf hash`,
        { leafIndex, treeSize: this.treeSize },
      );
    }
    if (format === 'jsonl' && this.writeCertificateLine(i, s, e, out)) return;
    // Outcomes, CSV, and any leaf data not in the certificate's exact shape: parse and render.
    const entry = JSON.parse(bytes.toString('utf8', s, e)) as AuditEntry & { schema?: string };
    delete entry.schema;
    const record = recordOfEntry(entry, {
      leafIndex: this.batch.from + i,
      leafHash: this.levels[0]!.toString('hex', i * HASH_SIZE, (i + 1) * HASH_SIZE),
      prevHash: bytes.toString('latin1', this.batch.prevHexAt[i], this.batch.prevHexAt[i]! + HEX),
      chainHash: bytes.toString(
        'latin1',
        this.batch.chainHexAt[i],
        this.batch.chainHexAt[i]! + HEX,
      ),
      inclusionProof: { treeSize: this.treeSize, hashes: this.hexPath(i) },
    });
    out.write(format === 'csv' ? csvRow(record) : jsonlLine(record));
  }

  /**
   * A certificate's line copied from its leaf data, byte for byte certificateJsonlLine (which
   * export-format.spec.ts holds to jsonlLine): the id and JWS literals as they stand in the
   * canonical leaf data, the rest from the batch's hex. False when the data is not in that exact
   * shape (the caller parses it).
   */
  private writeCertificateLine(i: number, s: number, e: number, out: ChunkWriter): boolean {
    const { bytes } = this.batch;
    const tail = e - TAIL.length;
    if (tail < s + HEAD.length) return false;
    if (HEAD.compare(bytes, s, s + HEAD.length) !== 0) return false;
    if (TAIL.compare(bytes, tail, e) !== 0) return false;
    // A quote inside a canonical string literal is escaped: the first `","jws":"` is the boundary.
    const mid = bytes.indexOf(JWS, s + HEAD.length);
    if (mid < 0 || mid + JWS.length > tail) return false;
    const jws = mid + JWS.length - 1;
    // A compact JWS is base64url and dots: a literal with no quote or escape inside.
    if (bytes[jws] !== QUOTE || tail - jws < 2 || bytes.indexOf(QUOTE, jws + 1) !== tail - 1) {
      return false;
    }
    if (this.backslash !== -2 && this.backslash < jws) {
      const next = bytes.indexOf(BACKSLASH, jws);
      this.backslash = next < 0 ? -2 : next; // -2: none left in the batch
    }
    if (this.backslash !== -2 && this.backslash < tail) return false;

    const pathLength = this.renderPath(i);
    const { prevHexAt, chainHexAt } = this.batch;
    out.reserve(e - s + pathLength + 3 * HEX + 256 + this.k4.length);
    const buf = out.buf;
    let o = out.used;
    buf.set(K1, o);
    o = put(buf, o + K1.length, bytes, s + HEAD.length, mid + 1 - (s + HEAD.length));
    buf.set(K2, o);
    o = put(buf, o + K2.length, bytes, chainHexAt[i] as number, HEX);
    buf.set(K3, o);
    o = put(buf, o + K3.length, this.path, 0, pathLength);
    buf.set(this.k4, o);
    o = put(buf, o + this.k4.length, bytes, jws, tail - jws);
    buf.set(K5, o);
    o = put(buf, o + K5.length, this.hexLevels[0] as Buffer, i * HEX, HEX);
    buf.set(K6, o);
    o = putUint(buf, o + K6.length, this.batch.from + i);
    buf.set(K7, o);
    o = put(buf, o + K7.length, bytes, prevHexAt[i] as number, HEX);
    buf.set(K8, o);
    out.used = o + K8.length;
    return true;
  }

  /**
   * Renders leaf i's audit path into `path`; returns its length in bytes. In a full batch every
   * path has the same slots, and only the levels where leaf i's sibling differs from the last
   * rendered leaf's are rewritten (level 0 each time, level l every 2^l leaves).
   */
  private renderPath(i: number): number {
    const depth = this.levels.length - 1;
    const outer = this.outerHex.length;
    if (this.full) {
      const last = this.pathOf;
      for (let l = 0; l < depth; l++) {
        if (last >= 0 && i >> l === last >> l) break;
        this.slot(l, this.hexLevels[l] as Buffer, ((i >> l) ^ 1) * HEX);
      }
      this.pathOf = i;
      return Math.max(0, (depth + outer) * SLOT - 1);
    }
    // The last, partial batch: a leaf may lack a sibling on some level; render it all.
    let j = 0;
    let k = i;
    for (let l = 0; l < depth; l++) {
      const hex = this.hexLevels[l] as Buffer;
      const sibling = k ^ 1;
      if ((sibling + 1) * HEX <= hex.length) this.slot(j++, hex, sibling * HEX);
      k >>= 1;
    }
    for (const hex of this.outerHexBytes) this.slot(j++, hex, 0);
    this.pathOf = -1;
    return Math.max(0, j * SLOT - 1);
  }

  /** Writes `"<hex>",` into slot j of the path from hex[at, at + 64). */
  private slot(j: number, hex: Buffer, at: number): void {
    const o = j * SLOT;
    this.path[o] = QUOTE;
    put(this.path, o + 1, hex, at, HEX);
    this.path[o + 1 + HEX] = QUOTE;
    this.path[o + 2 + HEX] = 0x2c;
  }

  /** Leaf i's audit path as hex strings (the parsing path). */
  private hexPath(i: number): string[] {
    const path: string[] = [];
    let k = i;
    for (let l = 0; l < this.levels.length - 1; l++) {
      const hex = this.hexLevels[l] as Buffer;
      const sibling = k ^ 1;
      if ((sibling + 1) * HEX <= hex.length) {
        path.push(hex.toString('latin1', sibling * HEX, (sibling + 1) * HEX));
      }
      k >>= 1;
    }
    return [...path, ...this.outerHex];
  }
}

/**
 * The RFC 6962 / RFC 9162 §2.1 levels of a batch (merkle-levels.ts's merkleLevels, the same tree),
 * each level one buffer of 32-byte hashes: level 0 the leaf hashes, a lone node at the right end
 * carried up unchanged. Node hashes go through crypto.hash with a latin1 string out (a Buffer out
 * costs several times more in Node 20), written back as bytes.
 */
function merkleLevelsOf(batch: ExportBatch): Buffer[] {
  const { bytes, leafHashAt, count } = batch;
  let level = Buffer.allocUnsafe(count * HASH_SIZE);
  for (let i = 0; i < count; i++)
    put(level, i * HASH_SIZE, bytes, leafHashAt[i] as number, HASH_SIZE);
  const levels = [level];
  const input = Buffer.alloc(1 + 2 * HASH_SIZE, 0x01);
  for (let width = count; width > 1;) {
    const up = Math.ceil(width / 2);
    const next = Buffer.allocUnsafe(up * HASH_SIZE);
    for (let k = 0; k < up; k++) {
      if (2 * k + 1 < width) {
        put(input, 1, level, 2 * k * HASH_SIZE, 2 * HASH_SIZE);
        next.write(hash('sha256', input, 'binary'), k * HASH_SIZE, 'latin1');
      } else {
        put(next, k * HASH_SIZE, level, 2 * k * HASH_SIZE, HASH_SIZE);
      }
    }
    levels.push(next);
    level = next;
    width = up;
  }
  return levels;
}
