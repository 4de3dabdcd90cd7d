import type { Writable } from 'node:stream';
import PDFDocument from 'pdfkit';
import type {
  ComplianceSummary,
  ModelSummary,
} from '../../application/queries/get-compliance-summary/compliance-summary';
import { linear, niceAxis, shortNumber, timeAxis, timeLabel } from './chart-scale';

/*
 * The compliance report for people, drawn with pdfkit's vector operations
 * (docs/adr/0018-dashboard-and-report.md). Pages: 1. the overview (range, totals, requests by
 * status, the overdue requests); 2. the charts (cumulative ε per model over time, accuracy per
 * model version); then one page per model (requests, certificates, method mix, ε / δ / σ, budget
 * spent). So a summary of N models gives N + 2 pages. Greek letters are set in the standard
 * Symbol font (the standard Helvetica has none), so no font file is needed.
 */

type Doc = PDFKit.PDFDocument;

const MARGIN = 50;
const PAGE_WIDTH = 595.28; // A4
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
/** Series colours (distinct in print and for common colour blindness: Okabe–Ito). */
export const SERIES_COLOURS = [
  '#0072B2',
  '#D55E00',
  '#009E73',
  '#CC79A7',
  '#E69F00',
  '#56B4E9',
  '#000000',
  '#F0E442',
];
const INK = '#1a1a1a';
const MUTED = '#666666';
const GRID = '#dddddd';

const colourOf = (i: number): string => SERIES_COLOURS[i % SERIES_COLOURS.length] ?? INK;

/** Writes text in which `{e}`, `{d}`, `{s}`, `{D}` stand for ε, δ, σ, Δ (Symbol font). */
const richText = (doc: Doc, text: string, size: number, x?: number, y?: number): void => {
  const parts = text.split(/(\{[edsD]\})/).filter((p) => p !== '');
  parts.forEach((part, i) => {
    const greek = /^\{([edsD])\}$/.exec(part)?.[1];
    doc
      .font(greek ? 'Symbol' : 'Helvetica')
      .fontSize(size)
      .fillColor(INK);
    const options = { continued: i < parts.length - 1, lineBreak: false };
    const content = greek ?? part;
    if (i === 0 && x !== undefined && y !== undefined) doc.text(content, x, y, options);
    else doc.text(content, options);
  });
};

const heading = (doc: Doc, text: string, size = 16): void => {
  doc.font('Helvetica-Bold').fontSize(size).fillColor(INK).text(text, MARGIN, doc.y);
  doc.moveDown(0.4);
};

const line = (doc: Doc, text: string, size = 10): void => {
  richText(doc, text, size, MARGIN, doc.y);
  doc.text('', MARGIN, doc.y + size * 1.45);
};

const when = (iso: string | null): string =>
  iso === null ? 'open' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

const counts = (m: Readonly<Partial<Record<string, number>>>): string => {
  const entries = Object.entries(m).filter(([, n]) => (n ?? 0) > 0);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
};

const range = (r: { min: number; max: number } | null): string =>
  r === null
    ? '—'
    : r.min === r.max
      ? shortNumber(r.min)
      : `${shortNumber(r.min)} – ${shortNumber(r.max)}`;

interface Series {
  readonly label: string;
  readonly colour: string;
  /** A null y breaks the line (no value there). */
  readonly points: readonly { readonly x: number; readonly y: number | null }[];
}

/**
 * A line chart in the box (x, y, w, h): grid, axes with ticks, one polyline with markers per
 * series, a legend below. `xLabel` formats an x tick. With no point at all it says so.
 */
const lineChart = (
  doc: Doc,
  box: { x: number; y: number; w: number; h: number },
  series: readonly Series[],
  opts: {
    title: string;
    yTitle: string;
    xTick: (v: number) => string;
    xInteger?: boolean;
    xTime?: boolean;
    yMin?: number;
  },
): void => {
  richText(doc, opts.title, 12, box.x, box.y);
  const top = box.y + 22;
  const left = box.x + 46;
  const width = box.w - 56;
  const height = box.h - 70;
  const bottom = top + height;
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x);
  const ys = all.flatMap((p) => (p.y === null ? [] : [p.y]));
  doc.lineWidth(0.8).strokeColor(INK);
  doc
    .moveTo(left, top)
    .lineTo(left, bottom)
    .lineTo(left + width, bottom)
    .stroke();
  if (ys.length === 0) {
    doc
      .font('Helvetica-Oblique')
      .fontSize(10)
      .fillColor(MUTED)
      .text('no data in this range', left, top + height / 2 - 5, {
        width,
        align: 'center',
        lineBreak: false,
      });
    doc.text('', MARGIN, box.y + box.h);
    return;
  }
  const yAxis = niceAxis(Math.min(opts.yMin ?? Infinity, ...ys), Math.max(...ys), 5);
  let xAxis = opts.xTime
    ? timeAxis(Math.min(...xs), Math.max(...xs), 4)
    : niceAxis(Math.min(...xs), Math.max(...xs), 5);
  if (opts.xInteger) {
    const lo = Math.floor(Math.min(...xs));
    const hi = Math.max(Math.ceil(Math.max(...xs)), lo + 1);
    const step = Math.max(1, Math.ceil((hi - lo) / 8));
    const ticks: number[] = [];
    for (let t = lo; t <= hi; t += step) ticks.push(t);
    xAxis = { min: lo, max: hi, ticks };
  }
  const sx = linear(xAxis.min, xAxis.max, left, left + width);
  const sy = linear(yAxis.min, yAxis.max, bottom, top);
  doc.font('Helvetica').fontSize(7).fillColor(MUTED);
  for (const t of yAxis.ticks) {
    doc.lineWidth(0.3).strokeColor(GRID);
    doc
      .moveTo(left, sy(t))
      .lineTo(left + width, sy(t))
      .stroke();
    doc.text(shortNumber(t), box.x, sy(t) - 3, { width: 42, align: 'right', lineBreak: false });
  }
  for (const t of xAxis.ticks) {
    doc.lineWidth(0.5).strokeColor(INK);
    doc
      .moveTo(sx(t), bottom)
      .lineTo(sx(t), bottom + 3)
      .stroke();
    doc.text(opts.xTick(t), sx(t) - 30, bottom + 5, {
      width: 60,
      align: 'center',
      lineBreak: false,
    });
  }
  richText(doc, opts.yTitle, 8, box.x, top - 12);
  series.forEach((s) => {
    doc.lineWidth(1.4).strokeColor(s.colour).fillColor(s.colour);
    let drawing = false;
    for (const p of s.points) {
      if (p.y === null) {
        if (drawing) doc.stroke();
        drawing = false;
        continue;
      }
      if (!drawing) doc.moveTo(sx(p.x), sy(p.y));
      else doc.lineTo(sx(p.x), sy(p.y));
      drawing = true;
    }
    if (drawing) doc.stroke();
    for (const p of s.points) {
      if (p.y !== null) doc.circle(sx(p.x), sy(p.y), 2.2).fill(s.colour);
    }
  });
  // Legend: a swatch and the model id per series, wrapped over lines.
  let lx = left;
  let ly = bottom + 20;
  doc.font('Helvetica').fontSize(8);
  for (const s of series) {
    const w = doc.widthOfString(s.label) + 22;
    if (lx + w > left + width) {
      lx = left;
      ly += 11;
    }
    doc.rect(lx, ly + 1, 10, 6).fill(s.colour);
    doc.fillColor(INK).text(s.label, lx + 13, ly, { lineBreak: false });
    lx += w;
  }
  doc.text('', MARGIN, box.y + box.h);
};

const overviewPage = (doc: Doc, s: ComplianceSummary): void => {
  doc.font('Helvetica-Bold').fontSize(20).fillColor(INK).text('Lethe compliance report', MARGIN);
  doc.moveDown(0.3);
  line(doc, `Range: ${when(s.range.from)} to ${when(s.range.to)} (to exclusive)`);
  line(doc, `Generated: ${when(s.generatedAt)}`);
  doc.moveDown(0.6);
  heading(doc, 'Totals', 14);
  line(doc, `Deletion requests received: ${s.totals.requests}`);
  line(doc, `Overdue (deadline passed, not settled): ${s.totals.overdue}`);
  line(doc, `Certificates issued: ${s.totals.certificates}`);
  line(doc, `Models: ${s.totals.models}`);
  line(doc, `Requests by status: ${counts(s.totals.byStatus)}`);
  doc.moveDown(0.6);
  heading(doc, 'Requests, overdue first', 14);
  const cols = [
    { title: 'request', w: 150 },
    { title: 'status', w: 75 },
    { title: 'deadline', w: 110 },
    { title: 'overdue', w: 45 },
    { title: 'models', w: CONTENT_WIDTH - 380 },
  ];
  const row = (cells: string[], bold = false) => {
    const y = doc.y;
    let x = MARGIN;
    doc
      .font(bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(8)
      .fillColor(INK);
    cells.forEach((c, i) => {
      const w = cols[i]?.w ?? 60;
      doc.text(c, x, y, { width: w - 4, lineBreak: false, ellipsis: true });
      x += w;
    });
    doc.text('', MARGIN, y + 12);
  };
  row(
    cols.map((c) => c.title),
    true,
  );
  const shown = s.requests.rows.slice(0, 30);
  for (const r of shown) {
    row([
      r.requestId,
      r.status,
      when(r.deadline),
      r.overdue ? 'yes' : '',
      r.modelIds.join(', ') || '—',
    ]);
  }
  const more = s.totals.requests - shown.length;
  if (more > 0) line(doc, `… and ${more} more (the dashboard and the JSON summary list them).`, 8);
};

const chartsPage = (doc: Doc, s: ComplianceSummary): void => {
  doc.addPage();
  heading(doc, 'Charts');
  const times = s.models.flatMap((m) => m.cumulativeEpsilon.map((p) => Date.parse(p.at)));
  const xTick = timeLabel(timeAxis(Math.min(...times), Math.max(...times), 4).step);
  lineChart(
    doc,
    { x: MARGIN, y: doc.y, w: CONTENT_WIDTH, h: 310 },
    s.models.map((m, i) => ({
      label: m.modelId,
      colour: colourOf(i),
      points: m.cumulativeEpsilon.map((p) => ({ x: Date.parse(p.at), y: p.epsilon })),
    })),
    {
      title: 'Cumulative {e} per model over time',
      yTitle: 'cumulative {e} (UTC)',
      xTick,
      xTime: true,
      yMin: 0,
    },
  );
  doc.moveDown(0.5);
  lineChart(
    doc,
    { x: MARGIN, y: doc.y, w: CONTENT_WIDTH, h: 310 },
    s.models.map((m, i) => ({
      label: m.modelId,
      colour: colourOf(i),
      points: m.accuracy.map((p) => ({ x: p.version, y: p.accuracy })),
    })),
    {
      title: 'Accuracy per model version',
      yTitle: 'accuracy',
      xTick: (v) => `v${v}`,
      xInteger: true,
    },
  );
  line(
    doc,
    'A gap in a cumulative {e} line: the chain has no finite {e} (an uncertified release since the last retrain).',
    7,
  );
};

const modelPage = (doc: Doc, m: ModelSummary): void => {
  doc.addPage();
  heading(doc, `Model ${m.modelId}`);
  line(doc, `Name: ${m.name ?? '(not in the registry)'}`);
  line(doc, `Current version: ${m.currentVersion ?? '—'}`);
  doc.moveDown(0.5);
  heading(doc, 'Requests', 12);
  line(doc, `Requests naming this model: ${m.requests.total} (overdue ${m.requests.overdue})`);
  line(doc, `By status: ${counts(m.requests.byStatus)}`);
  doc.moveDown(0.5);
  heading(doc, 'Certificates', 12);
  line(doc, `Issued in the range: ${m.certificates.total}`);
  line(doc, `Method mix: ${counts(m.certificates.byMethod)}`);
  line(doc, `Guarantees: ${counts(m.certificates.byGuarantee)}`);
  line(
    doc,
    `Per certified release: {e} ${range(m.privacy.epsilon)}, {d} ${range(m.privacy.delta)}`,
  );
  line(doc, `Noise scale {s}: ${range(m.privacy.sigma)}`);
  doc.moveDown(0.5);
  heading(doc, 'Budget spent (the current chain, at the end of the range)', 12);
  if (m.budget.poisoned) {
    line(
      doc,
      'No finite cumulative {e}: an uncertified release since the last retrain (no guarantee).',
    );
  } else {
    line(
      doc,
      `Cumulative {e} ${shortNumber(m.budget.spentEpsilon)}, {d} ${shortNumber(m.budget.spentDelta)}`,
    );
  }
  line(
    doc,
    m.budget.asOf === null
      ? 'No certificate yet: nothing spent.'
      : `As of certificate #${m.budget.sequenceIndex ?? '—'} issued ${when(m.budget.asOf)}`,
  );
  line(
    doc,
    m.budget.limit === null
      ? "Budget limit: none in the model's policy."
      : `Budget limit (policy): {e} ${shortNumber(m.budget.limit.epsilon)}, {d} ${shortNumber(m.budget.limit.delta)}`,
  );
  doc.moveDown(0.5);
  heading(doc, 'Accuracy per version', 12);
  if (m.accuracy.length === 0) line(doc, 'No public accuracy recorded.');
  for (const a of m.accuracy) line(doc, `v${a.version}: ${shortNumber(a.accuracy)} (${a.metric})`);
};

/**
 * Writes the report of `summary` to `out` as a PDF and resolves when `out` has taken all of it
 * (`finish`); rejects on a stream error. The document ends `out`.
 */
export const renderCompliancePdf = (summary: ComplianceSummary, out: Writable): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const doc = new PDFDocument({
      size: 'A4',
      margin: MARGIN,
      info: {
        Title: 'Lethe compliance report',
        Author: 'Lethe governance service',
        Subject: `compliance summary ${when(summary.range.from)} to ${when(summary.range.to)}`,
        CreationDate: new Date(summary.generatedAt),
      },
    });
    out.once('error', reject);
    out.once('finish', () => resolve());
    doc.once('error', reject);
    doc.pipe(out);
    overviewPage(doc, summary);
    chartsPage(doc, summary);
    for (const m of summary.models) modelPage(doc, m);
    doc.end();
  });
