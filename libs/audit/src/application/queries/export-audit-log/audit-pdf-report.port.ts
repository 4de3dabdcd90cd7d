import type { Writable } from 'node:stream';
import type { AppendTimeRange } from '../../ports/audit-log-store.port';

/**
 * The extension point for `format=pdf`: a function that renders the people's report of a range
 * of the log into `out` (and ends it). Bound to AUDIT_PDF_REPORT (AuditModule.forRoot's
 * `pdfReport`); when nothing is bound, the export answers 501 EXPORT_FORMAT_UNAVAILABLE.
 */
export type AuditPdfReport = (range: AppendTimeRange, out: Writable) => Promise<void>;

export const AUDIT_PDF_REPORT = Symbol('AuditPdfReport');
