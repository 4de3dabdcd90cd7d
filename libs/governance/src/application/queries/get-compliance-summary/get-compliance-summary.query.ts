import { Query } from '@nestjs/cqrs';
import type { ComplianceSummary } from './compliance-summary';

/** Half-open time range [from, to); either end may be open. */
export interface ComplianceRange {
  readonly from?: Date;
  readonly to?: Date;
}

/**
 * The compliance summary over a range: requests received in it, certificates issued in it, and
 * each model's chain as it stood at its end (docs/architecture.md, "Compliance summary").
 */
export class GetComplianceSummaryQuery extends Query<ComplianceSummary> {
  constructor(readonly range: ComplianceRange = {}) {
    super();
  }
}
