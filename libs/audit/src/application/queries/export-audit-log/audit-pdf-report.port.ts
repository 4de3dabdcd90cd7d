/**
 * The extension point for `format=pdf`: a function that renders the people's report of a range
 * of the log into `out` (and ends it). One token for the whole app, declared in
 * @lethe/shared/application: the governance context provides it globally (the compliance report,
 * docs/adr/0018-dashboard-and-report.md), and AuditModule.forRoot's `pdfReport` may bind another.
 * When nothing is bound, the export answers 501 EXPORT_FORMAT_UNAVAILABLE.
 */
export { AUDIT_PDF_REPORT, type AuditPdfReport } from '@lethe/shared/application';
