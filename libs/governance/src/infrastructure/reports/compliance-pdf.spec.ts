import { PassThrough } from 'node:stream';
import { summarize } from '../../application/queries/get-compliance-summary/compliance-summary';
import { aCertificate, aRequest, aSummaryInput, aVersion } from '../../testing/compliance.factory';
import { inspectPdf } from '../../testing/pdf-inspect';
import { renderCompliancePdf } from './compliance-pdf';

const render = async (summary: ReturnType<typeof summarize>): Promise<Buffer> => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await renderCompliancePdf(summary, out);
  return Buffer.concat(chunks);
};

const chain = (modelId: string, epsilons: readonly (number | null)[]) =>
  epsilons.map((e, i) =>
    aCertificate({
      modelId,
      certificateId: `${modelId}-c${i + 1}`,
      issuedAt: new Date(Date.UTC(2026, 10, 10 + i)).toISOString(),
      sequenceIndex: i + 1,
      versionBefore: i + 1,
      versionAfter: i + 2,
      cumulativeEpsilon: e,
      accuracyAfter: { value: 0.9 - i * 0.01, metric: 'certificate:evidence.accuracy.after' },
    }),
  );

describe('the compliance PDF report', () => {
  it('is a PDF of 2 + one page per model, naming every model and its figures as text', async () => {
    const summary = summarize(
      aSummaryInput({
        certificates: [...chain('credit-lr', [1, 2, 3]), ...chain('mnist-mlp', [0.5, null])],
        versions: [
          aVersion({
            modelId: 'credit-lr',
            accuracy: { value: 0.93, metric: 'metrics:trainAccuracy' },
          }),
        ],
        models: [
          { modelId: 'credit-lr', name: 'Credit', currentVersion: 4 },
          { modelId: 'mnist-mlp', name: 'MNIST', currentVersion: 3 },
          { modelId: 'idle-model', name: 'Idle', currentVersion: 1 },
        ],
        requestRows: [
          aRequest({ requestId: 'req-late', deadline: '2020-01-01T00:00:00Z' }),
          aRequest({ requestId: 'req-open' }),
        ],
        requestTotals: { byStatus: { scheduled: 2 }, overdue: 1 },
        modelRequestCounts: [{ modelId: 'credit-lr', status: 'scheduled', count: 2, overdue: 1 }],
      }),
    );
    const pdf = await render(summary);
    const doc = inspectPdf(pdf);
    expect(doc.header).toMatch(/^%PDF-1\.\d/);
    expect(doc.endsWithEof).toBe(true);
    expect(doc.pages).toBe(5);
    expect(doc.pageTreeCount).toBe(5);
    for (const id of ['credit-lr', 'mnist-mlp', 'idle-model', 'req-late', 'req-open']) {
      expect(doc.text).toContain(id);
    }
    expect(doc.text).toContain('Lethe compliance report');
    expect(doc.text).toContain('Accuracy per model version');
    // The overdue request is the first row of the table.
    expect(doc.text.indexOf('req-late')).toBeLessThan(doc.text.indexOf('req-open'));
    // Per-model page: its budget (cumulative ε of the chain's latest certificate) and method mix.
    const credit = doc.pageTexts.find((t) => t.includes('Model credit-lr')) ?? '';
    expect(credit).toContain('newton-lissa 3');
    expect(credit).toMatch(/Cumulative\s+e\s+3,/);
    const mnist = doc.pageTexts.find((t) => t.includes('Model mnist-mlp')) ?? '';
    expect(mnist).toContain('No finite cumulative');
  });

  it('draws the charts with vector paths: a line segment per step and a marker per point', async () => {
    /** Drawing operators on the charts page (page 2): lineTo `l`, Bézier `c` (the markers). */
    const ops = (pdf: Buffer) => {
      const charts = inspectPdf(pdf).contents[1] ?? '';
      return {
        lines: (charts.match(/ l\n/g) ?? []).length,
        curves: (charts.match(/ c\n/g) ?? []).length,
      };
    };
    const empty = await render(summarize(aSummaryInput()));
    const full = await render(
      summarize(aSummaryInput({ certificates: chain('credit-lr', [1, 2, 3, 4]) })),
    );
    expect(inspectPdf(empty).pages).toBe(2);
    expect(inspectPdf(full).pages).toBe(3);
    expect(inspectPdf(empty).text).toContain('no data in this range');
    const e = ops(empty);
    const f = ops(full);
    // Empty: axes only, no marker. Full: 4 ε points + 4 accuracy points (versions 2..5), each
    // a circle of 4 Bézier segments, and 3 + 3 segments of the two polylines (plus grid lines).
    expect(e.curves).toBe(0);
    expect(f.curves).toBe(8 * 4);
    expect(f.lines - e.lines).toBeGreaterThanOrEqual(6);
  });
});
