import { inflateSync } from 'node:zlib';

/*
 * Just enough PDF reading for tests, with no PDF library: the header and trailer, the page
 * objects, and the text that content streams show. pdfkit writes Flate-compressed content streams
 * and shows text as hex strings in TJ/Tj operators (standard fonts, WinAnsi); that is what is
 * decoded here. Not for production code.
 */

export interface PdfInspection {
  readonly header: string;
  readonly endsWithEof: boolean;
  /** Page objects (`/Type /Page`), and the page tree's `/Count`. */
  readonly pages: number;
  readonly pageTreeCount: number | null;
  /** Each content stream's shown text, one string per stream (so: per page). */
  readonly pageTexts: readonly string[];
  /** The decompressed content streams that show text (one per page with pdfkit). */
  readonly contents: readonly string[];
  readonly text: string;
}

const decodeHex = (hex: string): string => Buffer.from(hex, 'hex').toString('latin1');

const decodeLiteral = (s: string): string =>
  s.replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, e: string) =>
    /^[0-7]+$/.test(e)
      ? String.fromCharCode(parseInt(e, 8))
      : (({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e),
  );

/** The text shown by one content stream's TJ and Tj operators. */
const shownText = (content: string): string => {
  const out: string[] = [];
  const ops = /\[((?:[^\]\\]|\\.)*)\]\s*TJ|<([0-9A-Fa-f\s]*)>\s*Tj|\(((?:[^)\\]|\\.)*)\)\s*Tj/g;
  for (const m of content.matchAll(ops)) {
    if (m[1] !== undefined) {
      const parts = [...m[1].matchAll(/<([0-9A-Fa-f\s]*)>|\(((?:[^)\\]|\\.)*)\)/g)].map((p) =>
        p[1] !== undefined ? decodeHex(p[1].replace(/\s/g, '')) : decodeLiteral(p[2] ?? ''),
      );
      out.push(parts.join(''));
    } else if (m[2] !== undefined) out.push(decodeHex(m[2].replace(/\s/g, '')));
    else out.push(decodeLiteral(m[3] ?? ''));
  }
  return out.join(' ');
};

export const inspectPdf = (pdf: Buffer): PdfInspection => {
  const raw = pdf.toString('latin1');
  const pageTexts: string[] = [];
  const contents: string[] = [];
  const streams = /<<((?:(?!>>\s*stream)[\s\S])*?)>>\s*stream\r?\n/g;
  for (const m of raw.matchAll(streams)) {
    const dict = m[1] ?? '';
    const length = /\/Length\s+(\d+)/.exec(dict);
    if (!length || /\/Subtype|\/Type\s*\/(XObject|Metadata)/.test(dict)) continue;
    const start = (m.index ?? 0) + m[0].length;
    let body = pdf.subarray(start, start + Number(length[1]));
    if (/\/FlateDecode/.test(dict)) {
      try {
        body = inflateSync(body);
      } catch {
        continue;
      }
    }
    const content = body.toString('latin1');
    if (/\bBT\b/.test(content)) {
      contents.push(content);
      pageTexts.push(shownText(content));
    }
  }
  const count = /\/Type\s*\/Pages[\s\S]*?\/Count\s+(\d+)/.exec(raw);
  return {
    header: raw.slice(0, 8),
    endsWithEof: /%%EOF\s*$/.test(raw),
    pages: [...raw.matchAll(/\/Type\s*\/Page(?![A-Za-z])/g)].length,
    pageTreeCount: count ? Number(count[1]) : null,
    pageTexts,
    contents,
    text: pageTexts.join('\n'),
  };
};
