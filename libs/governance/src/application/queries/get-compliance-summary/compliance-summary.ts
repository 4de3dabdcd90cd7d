import type { RequestStatus } from '../../../domain/deletion-request/deletion-request.state';
import { isOverdue } from '../get-deletion-request/deletion-request.view';

/*
 * The compliance summary's arithmetic, pure: counts per status and per model, overdue-first
 * ordering of the request table, the method mix, the (ε, δ, σ) ranges, the cumulative-ε series of
 * each model's certificate chain, the budget spent and the accuracy per model version. The query
 * handler reads the facts (read models and the audit log's certificates) and calls `summarize`;
 * the dashboard and the PDF report draw what it returns. Every figure comes from a signed
 * certificate or a public version metric: nothing here sees a noise-free value or a raw subject id
 * (docs/architecture.md, "Compliance summary").
 */

/** Statuses that settle a request: the same set `isOverdue` uses (a spec checks they agree). */
export const SETTLED_REQUEST_STATUSES: readonly RequestStatus[] = [
  'certified',
  'no-records',
  'rejected',
];

export const CERTIFICATE_METHODS = [
  'newton-lissa',
  'convex-newton',
  'retrain',
  'sisa-shard',
  'no-op',
] as const;
export type SummaryMethod = (typeof CERTIFICATE_METHODS)[number];

/** One deletion request, as the read model holds it (no subject, not even its reference). */
export interface RequestFacts {
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly source: string;
  readonly receivedAt: string;
  readonly deadline: string;
  readonly completedAt: string | null;
  readonly modelIds: readonly string[];
}

/** The public facts of one signed certificate (read from its payload). */
export interface CertificateFacts {
  readonly certificateId: string;
  readonly issuedAt: string;
  readonly method: SummaryMethod;
  readonly guaranteeType: 'certified' | 'exact' | 'none';
  /** This release's (ε, δ) (0 for exact; null for `none`), its noise scale σ (null when none). */
  readonly epsilon: number | null;
  readonly delta: number | null;
  readonly sigma: number | null;
  /** null for a no-op certificate that concerned no model. */
  readonly modelId: string | null;
  readonly versionBefore: number | null;
  readonly versionAfter: number | null;
  /** k: position on the model's certificate chain. */
  readonly sequenceIndex: number;
  /** The chain's cumulative (ε, δ) after this certificate; null once an uncertified release poisoned it. */
  readonly cumulativeEpsilon: number | null;
  readonly cumulativeDelta: number | null;
  /** Public accuracy the certificate states for the versions before and after (evidence.accuracy). */
  readonly accuracyBefore: AccuracyReading | null;
  readonly accuracyAfter: AccuracyReading | null;
}

export interface AccuracyReading {
  readonly value: number;
  /** Where the figure comes from, e.g. `certificate:evidence.accuracy.after`, `metrics:trainAccuracy`. */
  readonly metric: string;
}

/** A registered model version and its public metric, when it has one. */
export interface VersionFacts {
  readonly modelId: string;
  readonly version: number;
  readonly origin: string;
  readonly registeredAt: string;
  readonly accuracy: AccuracyReading | null;
}

export interface ModelFacts {
  readonly modelId: string;
  readonly name: string;
  readonly currentVersion: number;
  /** The policy's cumulative budget (`policy.cumulativeBudget`), when it sets one. */
  readonly budgetLimit?: BudgetLimit | null;
}

/** A cumulative (ε, δ) budget a model's policy sets for its chain of releases. */
export interface BudgetLimit {
  readonly epsilon: number;
  readonly delta: number;
}

/** Per-model request counts, as SQL aggregates them (a request counts for every model it names). */
export interface ModelRequestCount {
  readonly modelId: string;
  readonly status: RequestStatus;
  readonly count: number;
  readonly overdue: number;
}

export interface RequestTotals {
  readonly byStatus: Readonly<Partial<Record<RequestStatus, number>>>;
  readonly overdue: number;
}

export interface SummaryInput {
  readonly now: Date;
  /** Half-open [from, to): requests by receipt, certificates by issue time. */
  readonly from: Date | null;
  readonly to: Date | null;
  readonly requestTotals: RequestTotals;
  readonly modelRequestCounts: readonly ModelRequestCount[];
  /** Candidate rows for the table (any superset of what should be shown); ordered and cut here. */
  readonly requestRows: readonly RequestFacts[];
  readonly maxRequestRows: number;
  /** Every certificate issued before `to` (earlier ones carry the chains' state into the range). */
  readonly certificates: readonly CertificateFacts[];
  readonly versions: readonly VersionFacts[];
  readonly models: readonly ModelFacts[];
}

export interface Range {
  readonly min: number;
  readonly max: number;
}

export interface RequestRow extends RequestFacts {
  readonly overdue: boolean;
}

export interface CumulativeEpsilonPoint {
  readonly at: string;
  readonly sequenceIndex: number;
  readonly certificateId: string;
  readonly method: SummaryMethod;
  /** null: the chain is poisoned (an uncertified release since the last retrain). */
  readonly epsilon: number | null;
  readonly delta: number | null;
}

export interface AccuracyPoint {
  readonly version: number;
  readonly accuracy: number;
  readonly metric: string;
}

export interface ModelSummary {
  readonly modelId: string;
  /** null when certificates name a model the registry does not know. */
  readonly name: string | null;
  readonly currentVersion: number | null;
  readonly requests: {
    readonly total: number;
    readonly overdue: number;
    readonly byStatus: Readonly<Partial<Record<RequestStatus, number>>>;
  };
  readonly certificates: {
    readonly total: number;
    readonly byMethod: Readonly<Partial<Record<SummaryMethod, number>>>;
    readonly byGuarantee: Readonly<Partial<Record<'certified' | 'exact' | 'none', number>>>;
  };
  /** Over the range's certified releases (σ also over `none` releases that state one). */
  readonly privacy: {
    readonly epsilon: Range | null;
    readonly delta: Range | null;
    readonly sigma: Range | null;
  };
  /**
   * What the model's current chain has spent, from its latest certificate issued before `to`.
   * `limit` is the cumulative budget of the model's current policy (`policy.cumulativeBudget`), null
   * when the policy sets none (or the model is not registered).
   */
  readonly budget: {
    readonly spentEpsilon: number | null;
    readonly spentDelta: number | null;
    readonly poisoned: boolean;
    readonly asOf: string | null;
    readonly sequenceIndex: number | null;
    readonly limit: BudgetLimit | null;
  };
  /** Chronological; only the range's certificates (values are cumulative since the chain began). */
  readonly cumulativeEpsilon: readonly CumulativeEpsilonPoint[];
  /** By version. */
  readonly accuracy: readonly AccuracyPoint[];
}

export interface ComplianceSummary {
  readonly generatedAt: string;
  readonly range: { readonly from: string | null; readonly to: string | null };
  readonly totals: {
    readonly requests: number;
    readonly overdue: number;
    readonly byStatus: Readonly<Partial<Record<RequestStatus, number>>>;
    readonly certificates: number;
    readonly models: number;
  };
  readonly requests: {
    /** Overdue first (most overdue first), then open by deadline, then settled, newest first. */
    readonly rows: readonly RequestRow[];
    /** How many requests of the range the table leaves out. */
    readonly omitted: number;
  };
  readonly models: readonly ModelSummary[];
}

const ms = (iso: string): number => Date.parse(iso);

const inRange = (iso: string, from: Date | null, to: Date | null): boolean => {
  const t = ms(iso);
  return (from === null || t >= from.getTime()) && (to === null || t < to.getTime());
};

/** Chronological order of a chain: issue time, then chain index, then id (a total order). */
export const compareCertificates = (a: CertificateFacts, b: CertificateFacts): number =>
  ms(a.issuedAt) - ms(b.issuedAt) ||
  a.sequenceIndex - b.sequenceIndex ||
  (a.certificateId < b.certificateId ? -1 : a.certificateId > b.certificateId ? 1 : 0);

/**
 * The table order: overdue requests first, the longest overdue (earliest deadline) at the top;
 * then open requests by deadline; then settled ones, most recently received first. Ties by id.
 */
export const orderRequests = (rows: readonly RequestFacts[], now: Date): RequestRow[] => {
  const rank = (r: RequestRow): number =>
    r.overdue ? 0 : SETTLED_REQUEST_STATUSES.includes(r.status) ? 2 : 1;
  return rows
    .map((r) => ({ ...r, overdue: isOverdue(r.status, r.deadline, now) }))
    .sort((a, b) => {
      const byRank = rank(a) - rank(b);
      if (byRank !== 0) return byRank;
      const byTime =
        rank(a) === 2 ? ms(b.receivedAt) - ms(a.receivedAt) : ms(a.deadline) - ms(b.deadline);
      if (byTime !== 0) return byTime;
      return a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;
    });
};

/** The cumulative-ε series of one model's certificates: chronological, one point per certificate. */
export const cumulativeEpsilonSeries = (
  certificates: readonly CertificateFacts[],
): CumulativeEpsilonPoint[] =>
  [...certificates].sort(compareCertificates).map((c) => ({
    at: c.issuedAt,
    sequenceIndex: c.sequenceIndex,
    certificateId: c.certificateId,
    method: c.method,
    epsilon: c.cumulativeEpsilon,
    delta: c.cumulativeDelta,
  }));

const widen = (r: Range | null, v: number | null): Range | null =>
  v === null || !Number.isFinite(v)
    ? r
    : r === null
      ? { min: v, max: v }
      : { min: Math.min(r.min, v), max: Math.max(r.max, v) };

const increment = <K extends string>(m: Partial<Record<K, number>>, k: K, by = 1): void => {
  m[k] = (m[k] ?? 0) + by;
};

/**
 * Accuracy per version: what a version's own registration metrics state, else what the
 * certificate that released it states (`after`), else what a later certificate states of it as
 * its base (`before`). One point per version, in version order.
 */
export const accuracyByVersion = (
  versions: readonly VersionFacts[],
  certificates: readonly CertificateFacts[],
): AccuracyPoint[] => {
  const byVersion = new Map<number, { reading: AccuracyReading; rank: number }>();
  const offer = (version: number | null, reading: AccuracyReading | null, rank: number) => {
    if (version === null || reading === null || !Number.isFinite(reading.value)) return;
    const held = byVersion.get(version);
    if (!held || rank < held.rank) byVersion.set(version, { reading, rank });
  };
  for (const v of versions) offer(v.version, v.accuracy, 0);
  for (const c of [...certificates].sort(compareCertificates)) {
    offer(c.versionAfter, c.accuracyAfter, 1);
    offer(c.versionBefore, c.accuracyBefore, 2);
  }
  return [...byVersion.entries()]
    .sort(([a], [b]) => a - b)
    .map(([version, { reading }]) => ({
      version,
      accuracy: reading.value,
      metric: reading.metric,
    }));
};

const summarizeModel = (
  modelId: string,
  model: ModelFacts | undefined,
  requestCounts: readonly ModelRequestCount[],
  chain: readonly CertificateFacts[],
  versions: readonly VersionFacts[],
  from: Date | null,
  to: Date | null,
): ModelSummary => {
  const byStatus: Partial<Record<RequestStatus, number>> = {};
  let total = 0;
  let overdue = 0;
  for (const c of requestCounts) {
    increment(byStatus, c.status, c.count);
    total += c.count;
    overdue += c.overdue;
  }
  const ordered = [...chain].sort(compareCertificates);
  const inside = ordered.filter((c) => inRange(c.issuedAt, from, to));
  const byMethod: Partial<Record<SummaryMethod, number>> = {};
  const byGuarantee: Partial<Record<'certified' | 'exact' | 'none', number>> = {};
  let epsilon: Range | null = null;
  let delta: Range | null = null;
  let sigma: Range | null = null;
  for (const c of inside) {
    increment(byMethod, c.method);
    increment(byGuarantee, c.guaranteeType);
    if (c.guaranteeType === 'certified') {
      epsilon = widen(epsilon, c.epsilon);
      delta = widen(delta, c.delta);
    }
    sigma = widen(sigma, c.sigma);
  }
  // The chain's state at the end of the range: its latest certificate issued before `to`.
  const latest = ordered.at(-1);
  return {
    modelId,
    name: model?.name ?? null,
    currentVersion: model?.currentVersion ?? null,
    requests: { total, overdue, byStatus },
    certificates: { total: inside.length, byMethod, byGuarantee },
    privacy: { epsilon, delta, sigma },
    budget: {
      spentEpsilon: latest?.cumulativeEpsilon ?? (latest ? null : 0),
      spentDelta: latest?.cumulativeDelta ?? (latest ? null : 0),
      poisoned: latest !== undefined && latest.cumulativeEpsilon === null,
      asOf: latest?.issuedAt ?? null,
      sequenceIndex: latest?.sequenceIndex ?? null,
      limit: model?.budgetLimit ?? null,
    },
    cumulativeEpsilon: cumulativeEpsilonSeries(inside),
    accuracy: accuracyByVersion(
      versions.filter((v) => inRange(v.registeredAt, null, to)),
      ordered,
    ),
  };
};

/** The whole summary (see the module comment). */
export const summarize = (input: SummaryInput): ComplianceSummary => {
  const { from, to, now } = input;
  const certificates = input.certificates.filter((c) => inRange(c.issuedAt, null, to));
  const modelsById = new Map(input.models.map((m) => [m.modelId, m]));
  const ids = new Set<string>(input.models.map((m) => m.modelId));
  for (const c of certificates) if (c.modelId !== null) ids.add(c.modelId);
  for (const r of input.modelRequestCounts) ids.add(r.modelId);
  const models = [...ids].sort().map((modelId) =>
    summarizeModel(
      modelId,
      modelsById.get(modelId),
      input.modelRequestCounts.filter((r) => r.modelId === modelId),
      certificates.filter((c) => c.modelId === modelId),
      input.versions.filter((v) => v.modelId === modelId),
      from,
      to,
    ),
  );
  const totalRequests = Object.values(input.requestTotals.byStatus).reduce<number>(
    (s, n) => s + (n ?? 0),
    0,
  );
  const rows = orderRequests(input.requestRows, now).slice(0, input.maxRequestRows);
  return {
    generatedAt: now.toISOString(),
    range: { from: from?.toISOString() ?? null, to: to?.toISOString() ?? null },
    totals: {
      requests: totalRequests,
      overdue: input.requestTotals.overdue,
      byStatus: input.requestTotals.byStatus,
      certificates: certificates.filter((c) => inRange(c.issuedAt, from, to)).length,
      models: models.length,
    },
    requests: { rows, omitted: Math.max(0, totalRequests - rows.length) },
    models,
  };
};
