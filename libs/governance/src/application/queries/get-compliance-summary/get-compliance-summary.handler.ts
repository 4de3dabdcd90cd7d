import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource, type EntityManager } from 'typeorm';
import type { RequestStatus } from '../../../domain/deletion-request/deletion-request.state';
import { CLOCK, type Clock } from '../../ports/clock.port';
import { versionAccuracy } from './certificate-facts';
import {
  CERTIFICATE_METHODS,
  SETTLED_REQUEST_STATUSES,
  summarize,
  type BudgetLimit,
  type CertificateFacts,
  type SummaryMethod,
  type ComplianceSummary,
  type ModelRequestCount,
  type RequestFacts,
  type RequestTotals,
} from './compliance-summary';
import { GetComplianceSummaryQuery } from './get-compliance-summary.query';

/** Rows of the request table (overdue first); the counts cover every request of the range. */
export const MAX_REQUEST_ROWS = 200;

/** Requests received in [$1, $2) (either end NULL: open). */
const IN_RANGE =
  '($1::timestamptz IS NULL OR received_at >= $1) AND ($2::timestamptz IS NULL OR received_at < $2)';
/** Open ($3: the settled statuses) and past its deadline at $4: `isOverdue` in SQL. */
const OVERDUE = 'status <> ALL($3::text[]) AND deadline < $4';

/** A row of audit_certificates: the facts decoded once, when the certificate was appended. */
interface CertificateRowDb {
  certificate_id: string;
  issued_at: Date;
  method: SummaryMethod;
  guarantee_type: CertificateFacts['guaranteeType'];
  model_id: string | null;
  epsilon: number | null;
  delta: number | null;
  sigma: number | null;
  version_before: string | null;
  version_after: string | null;
  sequence_index: string;
  cumulative_epsilon: number | null;
  cumulative_delta: number | null;
  accuracy_before: number | null;
  accuracy_after: number | null;
  accuracy_after_metric: string | null;
}

const intOrNull = (v: string | null): number | null => (v === null ? null : Number(v));

/** The summary's facts of one certificate, as certificateFactsOf reads them from the JWS. */
const certificateFactsOfRow = (r: CertificateRowDb): CertificateFacts => ({
  certificateId: r.certificate_id,
  issuedAt: r.issued_at.toISOString(),
  method: r.method,
  guaranteeType: r.guarantee_type,
  epsilon: r.guarantee_type === 'none' ? null : r.epsilon,
  delta: r.guarantee_type === 'none' ? null : r.delta,
  sigma: r.sigma,
  modelId: r.model_id,
  versionBefore: intOrNull(r.version_before),
  versionAfter: intOrNull(r.version_after),
  sequenceIndex: Number(r.sequence_index),
  cumulativeEpsilon: r.cumulative_epsilon,
  cumulativeDelta: r.cumulative_delta,
  accuracyBefore:
    r.accuracy_before === null
      ? null
      : { value: r.accuracy_before, metric: 'certificate:evidence.accuracy.before' },
  accuracyAfter:
    r.accuracy_after === null || r.accuracy_after_metric === null
      ? null
      : { value: r.accuracy_after, metric: r.accuracy_after_metric },
});

/**
 * The certificates' facts from audit_certificates (decoded in the database when each certificate
 * was appended): one query, no JWS decoded per call. Rows certificateFactsOf would refuse are
 * left out the same way; libs/governance/test/compliance-summary-facts.int-spec.ts checks both
 * readings agree.
 */
export async function readCertificateFacts(m: EntityManager): Promise<CertificateFacts[]> {
  const rows = await m.query<CertificateRowDb[]>(
    `SELECT certificate_id, issued_at, method, guarantee_type, model_id, epsilon, delta, sigma,
            version_before, version_after, sequence_index, cumulative_epsilon,
            cumulative_delta, accuracy_before, accuracy_after, accuracy_after_metric
       FROM audit_certificates
      WHERE method = ANY($1::text[]) AND guarantee_type IN ('certified', 'exact', 'none')
        AND sequence_index IS NOT NULL
      ORDER BY leaf_index`,
    [CERTIFICATE_METHODS],
  );
  return rows.map(certificateFactsOfRow);
}

/** A policy's `cumulativeBudget` when it is a well-formed (ε, δ), else null. */
const budgetLimitOf = (v: unknown): BudgetLimit | null => {
  if (typeof v !== 'object' || v === null) return null;
  const { epsilon, delta } = v as Record<string, unknown>;
  return typeof epsilon === 'number' && typeof delta === 'number' ? { epsilon, delta } : null;
};

interface RequestRowDb {
  request_id: string;
  status: RequestStatus;
  source: string;
  received_at: Date;
  deadline: Date;
  completed_at: Date | null;
  models: { modelId: string }[];
}

/**
 * Reads the facts of the summary in one REPEATABLE READ snapshot: request counts (SQL
 * aggregates), candidate rows for the table (the overdue, open and settled requests the table can
 * show), the models and their versions' public metrics, and the audit log's certificates issued
 * before the range's end; `summarize` does the rest.
 */
@QueryHandler(GetComplianceSummaryQuery)
export class GetComplianceSummaryHandler implements IQueryHandler<GetComplianceSummaryQuery> {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async execute(q: GetComplianceSummaryQuery): Promise<ComplianceSummary> {
    const now = this.clock.now();
    const from = q.range.from ?? null;
    const to = q.range.to ?? null;
    const params = [from, to, SETTLED_REQUEST_STATUSES, now];
    return this.dataSource.transaction('REPEATABLE READ', async (m: EntityManager) => {
      const totals = await m.query<{ status: RequestStatus; n: number; overdue: number }[]>(
        `SELECT status, count(*)::int AS n, (count(*) FILTER (WHERE ${OVERDUE}))::int AS overdue
           FROM gov_deletion_requests_view WHERE ${IN_RANGE} GROUP BY status`,
        params,
      );
      const perModel = await m.query<
        { model_id: string; status: RequestStatus; n: number; overdue: number }[]
      >(
        `SELECT p->>'modelId' AS model_id, status, count(*)::int AS n,
                (count(*) FILTER (WHERE ${OVERDUE}))::int AS overdue
           FROM gov_deletion_requests_view
           CROSS JOIN LATERAL jsonb_array_elements(models) AS p
          WHERE ${IN_RANGE} GROUP BY 1, 2`,
        params,
      );
      const columns =
        'request_id, status, source, received_at, deadline, completed_at, models FROM gov_deletion_requests_view';
      const rows = await m.query<RequestRowDb[]>(
        `(SELECT ${columns} WHERE ${IN_RANGE} AND ${OVERDUE}
           ORDER BY deadline, request_id LIMIT $5)
         UNION ALL
         (SELECT ${columns} WHERE ${IN_RANGE} AND status <> ALL($3::text[]) AND deadline >= $4
           ORDER BY deadline, request_id LIMIT $5)
         UNION ALL
         (SELECT ${columns} WHERE ${IN_RANGE} AND status = ANY($3::text[])
           ORDER BY received_at DESC, request_id LIMIT $5)`,
        [...params, MAX_REQUEST_ROWS],
      );
      const models = await m.query<
        { model_id: string; name: string; current_version: number; budget: unknown }[]
      >(
        `SELECT model_id, name, current_version,
                state -> 'policy' -> 'cumulativeBudget' AS budget
           FROM gov_models_view`,
      );
      const versions = await m.query<
        {
          model_id: string;
          version: number;
          origin: string;
          registered_at: Date;
          metrics: Record<string, unknown> | null;
        }[]
      >('SELECT model_id, version, origin, registered_at, metrics FROM gov_model_versions_view');
      const certificates = await readCertificateFacts(m);

      const requestTotals: RequestTotals = {
        byStatus: Object.fromEntries(totals.map((t) => [t.status, t.n])),
        overdue: totals.reduce((s, t) => s + t.overdue, 0),
      };
      const modelRequestCounts: ModelRequestCount[] = perModel.map((r) => ({
        modelId: r.model_id,
        status: r.status,
        count: r.n,
        overdue: r.overdue,
      }));
      const requestRows: RequestFacts[] = rows.map((r) => ({
        requestId: r.request_id,
        status: r.status,
        source: r.source,
        receivedAt: r.received_at.toISOString(),
        deadline: r.deadline.toISOString(),
        completedAt: r.completed_at?.toISOString() ?? null,
        modelIds: (r.models ?? []).map((p) => p.modelId),
      }));
      return summarize({
        now,
        from,
        to,
        requestTotals,
        modelRequestCounts,
        requestRows,
        maxRequestRows: MAX_REQUEST_ROWS,
        certificates,
        versions: versions.map((v) => ({
          modelId: v.model_id,
          version: v.version,
          origin: v.origin,
          registeredAt: v.registered_at.toISOString(),
          accuracy: versionAccuracy(v.metrics),
        })),
        models: models.map((x) => ({
          modelId: x.model_id,
          name: x.name,
          currentVersion: x.current_version,
          budgetLimit: budgetLimitOf(x.budget),
        })),
      });
    });
  }
}
