import type { FileSourceDescriptor } from '../../application/ports/dataset-source-descriptor';
import {
  DatasetSourceError,
  DatasetSourceErrorCode,
} from '../../application/ports/dataset-source.errors';
import { CsvRecordParser, type CsvRecord } from './csv-records';
import { readLineBatches, type TextLine } from './line-reader';

/** Column layout of a file, fixed by the CSV header or the first NDJSON row. */
export interface RowLayout {
  readonly featureNames: readonly string[];
}

/**
 * One structurally checked row: its line, its record id (not yet validated) and a `decode` that
 * parses and validates the label and the features into `out[offset, offset + dim)`. Excluded rows
 * are never decoded.
 */
export interface RawRow {
  readonly line: number;
  readonly recordId: string;
  readonly layout: RowLayout;
  decode(out: Float32Array, offset: number): number;
}

/** The rows of a file, a chunk's worth at a time (one async step per 64 KiB, not per row). */
export type RowFormat = (path: string, d: FileSourceDescriptor) => AsyncGenerator<RawRow[]>;

/**
 * Maps each chunk's lines to rows with `perLine` (null: no row). A line that throws is reported
 * only after the rows before it were handed over, so the caller sees errors in line order (a
 * duplicate id on line 4 is reported before a ragged line 5 of the same chunk).
 */
async function* rowsByChunk(
  path: string,
  perLine: (l: TextLine) => RawRow | null,
): AsyncGenerator<RawRow[]> {
  for await (const lines of readLineBatches(path)) {
    const rows: RawRow[] = [];
    for (const l of lines) {
      let row: RawRow | null;
      try {
        row = perLine(l);
      } catch (e) {
        if (rows.length > 0) yield rows;
        throw e;
      }
      if (row) rows.push(row);
    }
    if (rows.length > 0) yield rows;
  }
}

const err = (
  code: DatasetSourceErrorCode,
  message: string,
  details: Readonly<Record<string, unknown>>,
): DatasetSourceError => new DatasetSourceError(code, message, details);

/** At most 40 characters of an offending cell, for error details. */
const sample = (v: unknown): string => {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
};

/**
 * A decimal number (`1`, `-0.5`, `.25`, `3e-2`, surrounding blanks allowed), else NaN. Only
 * digits, `+ - . e E`, space and tab may occur (no hex, binary, octal, `Infinity`, empty cell);
 * `Number` then checks the grammar.
 */
const parseDecimal = (raw: string): number => {
  let digits = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) digits = true;
    else if (c !== 43 && c !== 45 && c !== 46 && c !== 101 && c !== 69 && c !== 32 && c !== 9) {
      return NaN;
    }
  }
  return digits ? Number(raw) : NaN;
};
const INTEGER = /^\s*\d{1,10}\s*$/;

/** A finite number that stays finite in float32, else `NON_NUMERIC_FEATURE`. */
const checkFeature = (x: number, raw: unknown, line: number, column: string): number => {
  if (!Number.isFinite(x) || !Number.isFinite(Math.fround(x))) {
    throw err(
      DatasetSourceErrorCode.NON_NUMERIC_FEATURE,
      `line ${line}: feature ${column} is not a finite float32 number`,
      { line, column, value: sample(raw) },
    );
  }
  return x;
};

const checkLabel = (y: number, raw: unknown, line: number, column: string): number => {
  if (!Number.isInteger(y) || y < 0 || y > 2 ** 31 - 1) {
    throw err(
      DatasetSourceErrorCode.INVALID_LABEL,
      `line ${line}: label must be a non-negative integer`,
      { line, column, value: sample(raw) },
    );
  }
  return y;
};

/**
 * CSV: line 1 is the header. Every record must have as many fields as the header
 * (`RAGGED_ROW`); the record-id, label and feature columns must be in the header
 * (`MISSING_COLUMN`); features are decimal numbers (`1`, `-0.5`, `3e-2`; no `NaN`, `Infinity`,
 * hex or empty cells); labels are decimal integers.
 */
export async function* csvRows(path: string, d: FileSourceDescriptor): AsyncGenerator<RawRow[]> {
  const parser = new CsvRecordParser(d.delimiter ?? ',');
  let header: string[] | undefined;
  let idIdx = -1;
  let labelIdx = -1;
  let featureIdx: number[] = [];
  let layout: RowLayout = { featureNames: [] };
  const perRecord = (rec: CsvRecord): RawRow | null => {
    if (!header) {
      header = rec.fields.map((f) => f.trim());
      const h = header;
      const seen = new Set<string>();
      for (const name of h) {
        if (seen.has(name)) {
          throw err(
            DatasetSourceErrorCode.MALFORMED_ROW,
            `line ${rec.line}: column ${name} appears twice in the header`,
            { line: rec.line, column: name },
          );
        }
        seen.add(name);
      }
      const need = (name: string): number => {
        const i = h.indexOf(name);
        if (i < 0) {
          throw err(
            DatasetSourceErrorCode.MISSING_COLUMN,
            `line ${rec.line}: the header has no column ${name}`,
            { line: rec.line, column: name },
          );
        }
        return i;
      };
      idIdx = need(d.recordIdColumn);
      labelIdx = need(d.labelColumn);
      const names = d.featureColumns ?? h.filter((_, i) => i !== idIdx && i !== labelIdx);
      if (names.length === 0) {
        throw err(
          DatasetSourceErrorCode.MISSING_COLUMN,
          `line ${rec.line}: the header has no feature column`,
          { line: rec.line },
        );
      }
      featureIdx = names.map(need);
      layout = { featureNames: names };
      return null;
    }
    const fields = rec.fields;
    const line = rec.line;
    if (fields.length !== header.length) {
      throw err(
        DatasetSourceErrorCode.RAGGED_ROW,
        `line ${line}: ${fields.length} fields, the header has ${header.length}`,
        { line, expected: header.length, actual: fields.length },
      );
    }
    const h = header;
    const fIdx = featureIdx;
    const lIdx = labelIdx;
    return {
      line,
      recordId: (fields[idIdx] as string).trim(),
      layout,
      decode(out, offset) {
        const rawLabel = fields[lIdx] as string;
        const label = checkLabel(
          INTEGER.test(rawLabel) ? Number(rawLabel) : NaN,
          rawLabel,
          line,
          d.labelColumn,
        );
        for (let j = 0; j < fIdx.length; j++) {
          const i = fIdx[j] as number;
          const raw = fields[i] as string;
          out[offset + j] = checkFeature(parseDecimal(raw), raw, line, h[i]!);
        }
        return label;
      },
    };
  };
  yield* rowsByChunk(path, (l) => {
    const rec = parser.push(l);
    return rec ? perRecord(rec) : null;
  });
  parser.finish();
  if (!header) {
    throw err(DatasetSourceErrorCode.EMPTY, 'the file has no header', { line: 1 });
  }
}

/** Width of an NDJSON feature column: 1 for a number, n for an array of n numbers. */
const widthOf = (v: unknown, line: number, column: string): number => {
  if (typeof v === 'number') return 1;
  if (Array.isArray(v) && v.length > 0) return v.length;
  throw err(
    DatasetSourceErrorCode.NON_NUMERIC_FEATURE,
    `line ${line}: feature ${column} is neither a number nor a non-empty array of numbers`,
    { line, column, value: sample(v) },
  );
};

/**
 * NDJSON: one JSON object per line (blank lines skipped). A feature column holds a number or an
 * array of numbers (flattened; names `col[i]`); the first row fixes each column's width, and a
 * later row with another width is `RAGGED_ROW`. Without `featureColumns`, every key of the first
 * row other than the id and label is a feature (in key order) and later rows must have the same
 * keys. Record ids are strings or safe integers; labels are integers.
 */
export async function* ndjsonRows(path: string, d: FileSourceDescriptor): AsyncGenerator<RawRow[]> {
  let columns: readonly string[] | undefined;
  let widths: number[] = [];
  let layout: RowLayout = { featureNames: [] };
  yield* rowsByChunk(path, ({ text, line }): RawRow | null => {
    if (text.trim() === '') return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw err(DatasetSourceErrorCode.MALFORMED_ROW, `line ${line}: not valid JSON`, { line });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw err(DatasetSourceErrorCode.MALFORMED_ROW, `line ${line}: not a JSON object`, {
        line,
      });
    }
    const obj = parsed as Record<string, unknown>;
    const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(obj, k);
    for (const k of [d.recordIdColumn, d.labelColumn]) {
      if (!has(k)) {
        throw err(DatasetSourceErrorCode.MISSING_COLUMN, `line ${line}: no key ${k}`, {
          line,
          column: k,
        });
      }
    }
    if (!columns) {
      columns =
        d.featureColumns ??
        Object.keys(obj).filter((k) => k !== d.recordIdColumn && k !== d.labelColumn);
      if (columns.length === 0) {
        throw err(DatasetSourceErrorCode.MISSING_COLUMN, `line ${line}: no feature column`, {
          line,
        });
      }
      const cols = columns;
      widths = cols.map((c) => {
        if (!has(c)) {
          throw err(DatasetSourceErrorCode.MISSING_COLUMN, `line ${line}: no key ${c}`, {
            line,
            column: c,
          });
        }
        return widthOf(obj[c], line, c);
      });
      const names: string[] = [];
      cols.forEach((c, j) => {
        const w = widths[j] as number;
        const isArray = Array.isArray(obj[c]);
        for (let i = 0; i < w; i++) names.push(isArray ? `${c}[${i}]` : c);
      });
      layout = { featureNames: names };
    } else {
      columns.forEach((c, j) => {
        if (!has(c)) {
          throw err(DatasetSourceErrorCode.MISSING_COLUMN, `line ${line}: no key ${c}`, {
            line,
            column: c,
          });
        }
        const w = widthOf(obj[c], line, c);
        if (w !== widths[j]) {
          throw err(
            DatasetSourceErrorCode.RAGGED_ROW,
            `line ${line}: feature ${c} has ${w} values, the first row has ${widths[j]}`,
            { line, column: c, expected: widths[j], actual: w },
          );
        }
      });
      if (!d.featureColumns && Object.keys(obj).length !== columns.length + 2) {
        const known = new Set([...columns, d.recordIdColumn, d.labelColumn]);
        const extra = Object.keys(obj).find((k) => !known.has(k));
        throw err(
          DatasetSourceErrorCode.RAGGED_ROW,
          `line ${line}: key ${extra ?? '?'} is not in the first row`,
          { line, column: extra ?? null },
        );
      }
    }
    const rawId = obj[d.recordIdColumn];
    const recordId =
      typeof rawId === 'string'
        ? rawId
        : typeof rawId === 'number' && Number.isSafeInteger(rawId)
          ? String(rawId)
          : '';
    const cols = columns;
    return {
      line,
      recordId,
      layout,
      decode(out, offset) {
        const rawLabel = obj[d.labelColumn];
        const label = checkLabel(
          typeof rawLabel === 'number' ? rawLabel : NaN,
          rawLabel,
          line,
          d.labelColumn,
        );
        let k = offset;
        for (const c of cols) {
          const v = obj[c];
          if (Array.isArray(v)) {
            for (const x of v) {
              out[k++] = checkFeature(typeof x === 'number' ? x : NaN, x, line, c);
            }
          } else {
            out[k++] = checkFeature(typeof v === 'number' ? v : NaN, v, line, c);
          }
        }
        return label;
      },
    };
  });
}
