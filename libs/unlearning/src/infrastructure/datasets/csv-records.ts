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
 * RFC 4180 records, fed line by line (synchronous, so a whole chunk of lines is parsed without an
 * async step per line): fields separated by `delimiter`; a field that starts with `"` is quoted,
 * may hold the delimiter, newlines and `""` (one quote). Text after a closing quote other than
 * the delimiter, or a quote still open at the end of the file (`finish`), is `MALFORMED_ROW`.
 * Blank lines outside a quoted field are skipped. Lines without a quote take a `split` fast path.
 */
export class CsvRecordParser {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private afterQuote = false;
  private startLine = 0;

  constructor(private readonly delimiter = ',') {}

  /** The record that ends on this line, or null (blank line, or inside a quoted field). */
  push({ text, line }: TextLine): CsvRecord | null {
    if (!this.inQuotes) {
      if (text.trim() === '') return null;
      if (!text.includes('"')) return { fields: text.split(this.delimiter), line };
      this.fields = [];
      this.field = '';
      this.afterQuote = false;
      this.startLine = line;
    } else {
      this.field += '\n';
    }
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (this.inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else {
            this.inQuotes = false;
            this.afterQuote = true;
          }
        } else {
          this.field += c;
        }
      } else if (c === this.delimiter) {
        this.fields.push(this.field);
        this.field = '';
        this.afterQuote = false;
      } else if (this.afterQuote) {
        throw new DatasetSourceError(
          DatasetSourceErrorCode.MALFORMED_ROW,
          `line ${line}: text after a closing quote`,
          { line },
        );
      } else if (c === '"' && this.field === '') {
        this.inQuotes = true;
      } else {
        this.field += c;
      }
    }
    if (this.inQuotes) return null;
    this.fields.push(this.field);
    return { fields: this.fields, line: this.startLine };
  }

  /** Throws if the file ended inside a quoted field. */
  finish(): void {
    if (this.inQuotes) {
      throw new DatasetSourceError(
        DatasetSourceErrorCode.MALFORMED_ROW,
        `line ${this.startLine}: quoted field is not terminated`,
        { line: this.startLine },
      );
    }
  }
}
