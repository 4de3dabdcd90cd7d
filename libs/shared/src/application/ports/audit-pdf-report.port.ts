import type { Writable } from 'node:stream';

/**
 * The PDF compliance report for people (docs/adr/0018-dashboard-and-report.md): a summary per
 * model (requests, certificates, method mix, ε / δ / σ, budget used) with charts of cumulative ε
 * per model over time and of accuracy per model version, over the half-open range [from, to).
 *
 * The governance context provides it (`GovernanceModule`, a global provider); any route that
 * answers with the PDF (`GET /v1/compliance/report.pdf`, the auditor export's `format=pdf`)
 * injects it with `@Inject(AUDIT_PDF_REPORT)`. It writes the whole document to `out` and ends
 * it; it rejects before writing anything when the range or the data cannot be read, so the
 * caller can still answer with a problem+json error.
 */
export type AuditPdfReport = (
  range: { readonly from?: Date; readonly to?: Date },
  out: Writable,
) => Promise<void>;

export const AUDIT_PDF_REPORT = Symbol.for('lethe.AuditPdfReport');
