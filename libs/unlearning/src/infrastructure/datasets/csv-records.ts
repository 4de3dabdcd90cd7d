import {
  DatasetSourceError,
  DatasetSourceErrorCode,
} from '../../application/ports/dataset-source.errors';
import type { TextLine } from './line-reader';

export interface CsvRecord {
  readonly fields: string[];
  /** Line where the record starts (a quoted field may span lines). */
  readonly line: number;
}

/**
 * RFC 4180 records from lines: fields separated by `delimiter`; a field that starts with `"` is
 * quoted, may hold the delimiter, newlines and `""` (one quote). Text after a closing quote other
 * than the delimiter, or a quote still open at the end of the file, is `MALFORMED_ROW`. Blank
 * lines outside a quoted field are skipped. Lines without a quote take a `split` fast path.
 */
export async function* csvRecords(
  lines: AsyncIterable<TextLine>,
  delimiter = ',',
): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let afterQuote = false;
  let startLine = 0;
  for await (const { text, line } of lines) {
    if (!inQuotes) {
      if (text.trim() === '') continue;
      if (!text.includes('"')) {
        yield { fields: text.split(delimiter), line };
        continue;
      }
      fields = [];
      field = '';
      afterQuote = false;
      startLine = line;
    } else {
      field += '\n';
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i++;
          } else {
            inQuotes = false;
            afterQuote = true;
          }
        } else {
          field += c;
        }
      } else if (c === delimiter) {
        fields.push(field);
        field = '';
        afterQuote = false;
      } else if (afterQuote) {
        throw new DatasetSourceError(
          DatasetSourceErrorCode.MALFORMED_ROW,
          `line ${line}: text after a closing quote`,
          { line },
        );
      } else if (c === '"' && field === '') {
        inQuotes = true;
      } else {
        field += c;
      }
    }
    if (!inQuotes) {
      fields.push(field);
      yield { fields, line: startLine };
    }
  }
  if (inQuotes) {
    throw new DatasetSourceError(
      DatasetSourceErrorCode.MALFORMED_ROW,
      `line ${startLine}: quoted field is not terminated`,
      { line: startLine },
    );
  }
}
