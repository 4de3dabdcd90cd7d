import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import {
  DatasetSourceError,
  DatasetSourceErrorCode,
} from '../../application/ports/dataset-source.errors';

export interface TextLine {
  readonly text: string;
  /** 1-based physical line number. */
  readonly line: number;
}

/** Longest line accepted (characters); a longer one is refused rather than buffered. */
export const MAX_LINE_CHARS = 64 * 1024 * 1024;

/**
 * The lines of a UTF-8 file, streamed in 64 KiB chunks and handed over one chunk's lines at a
 * time (one async step per chunk, not per line): memory is one chunk plus the current line.
 * `\n` and `\r\n` endings; a leading BOM is dropped; a last line without a newline counts.
 */
export async function* readLineBatches(path: string): AsyncGenerator<TextLine[]> {
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let line = 0;
  const strip = (s: string): string => {
    const t = s.endsWith('\r') ? s.slice(0, -1) : s;
    return line === 1 && t.startsWith('\uFEFF') ? t.slice(1) : t;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const s = carry + decoder.write(chunk);
      let start = 0;
      let nl = s.indexOf('\n', start);
      const lines: TextLine[] = [];
      while (nl !== -1) {
        line++;
        lines.push({ text: strip(s.slice(start, nl)), line });
        start = nl + 1;
        nl = s.indexOf('\n', start);
      }
      carry = s.slice(start);
      if (lines.length > 0) yield lines;
      if (carry.length > MAX_LINE_CHARS) {
        throw new DatasetSourceError(
          DatasetSourceErrorCode.MALFORMED_ROW,
          `line ${line + 1} is longer than ${MAX_LINE_CHARS} characters`,
          { line: line + 1 },
        );
      }
    }
    const rest = carry + decoder.end();
    if (rest.length > 0) {
      line++;
      yield [{ text: strip(rest), line }];
    }
  } catch (e) {
    if (e instanceof DatasetSourceError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new DatasetSourceError(
      DatasetSourceErrorCode.UNREADABLE,
      `cannot read the dataset file (${err.code ?? 'error'})`,
      { errno: err.code ?? null },
    );
  } finally {
    stream.destroy();
  }
}
