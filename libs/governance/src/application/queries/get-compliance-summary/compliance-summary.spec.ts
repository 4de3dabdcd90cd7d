import {
  aCertificate,
  aRequest,
  aSummaryInput,
  aVersion,
} from '../../../testing/compliance.factory';
import { isOverdue } from '../get-deletion-request/deletion-request.view';
import { REQUEST_STATUSES } from '../../../domain/deletion-request/deletion-request.state';
import {
  SETTLED_REQUEST_STATUSES,
  accuracyByVersion,
  cumulativeEpsilonSeries,
  orderRequests,
  summarize,
} from './compliance-summary';

const NOW = new Date('2026-11-29T12:00:00Z');

describe('compliance summary: cumulative ε series', () => {
  it('orders a chain by issue time, then by chain index, whatever order the log gave', () => {
    const c3 = aCertificate({
      certificateId: 'c3',
      issuedAt: '2026-11-12T00:00:00Z',
      sequenceIndex: 3,
      cumulativeEpsilon: 3,
    });
    const c1 = aCertificate({
      certificateId: 'c1',
      issuedAt: '2026-11-10T00:00:00Z',
      sequenceIndex: 1,
      cumulativeEpsilon: 1,
    });
    // Same second as c1 but later on the chain: the index breaks the tie.
    const c2 = aCertificate({
      certificateId: 'c2',
      issuedAt: '2026-11-10T00:00:00Z',
      sequenceIndex: 2,
      cumulativeEpsilon: 2,
    });
    const series = cumulativeEpsilonSeries([c3, c2, c1]);
    expect(series.map((p) => p.certificateId)).toEqual(['c1', 'c2', 'c3']);
    expect(series.map((p) => p.epsilon)).toEqual([1, 2, 3]);
  });

  it('takes each point from the certificate (never re-sums), so a retrain resets and a poisoned chain has no value', () => {
    const series = cumulativeEpsilonSeries([
      aCertificate({ issuedAt: '2026-11-10T00:00:00Z', sequenceIndex: 1, cumulativeEpsilon: 1 }),
      aCertificate({ issuedAt: '2026-11-11T00:00:00Z', sequenceIndex: 2, cumulativeEpsilon: 1.8 }),
      aCertificate({
        issuedAt: '2026-11-12T00:00:00Z',
        sequenceIndex: 3,
        method: 'retrain',
        guaranteeType: 'exact',
        epsilon: 0,
        delta: 0,
        sigma: null,
        cumulativeEpsilon: 0,
        cumulativeDelta: 0,
      }),
      aCertificate({
        issuedAt: '2026-11-13T00:00:00Z',
        sequenceIndex: 4,
        guaranteeType: 'none',
        epsilon: null,
        delta: null,
        cumulativeEpsilon: null,
        cumulativeDelta: null,
      }),
    ]);
    expect(series.map((p) => p.epsilon)).toEqual([1, 1.8, 0, null]);
    expect(series.map((p) => p.method)).toEqual([
      'newton-lissa',
      'newton-lissa',
      'retrain',
      'newton-lissa',
    ]);
  });
});

describe('compliance summary: request table order', () => {
  it('puts overdue requests first (longest overdue at the top), then open ones by deadline, then settled, newest first', () => {
    const rows = [
      aRequest({
        requestId: 'settled-old',
        status: 'certified',
        receivedAt: '2026-10-01T00:00:00Z',
        deadline: '2020-01-01T00:00:00Z',
      }),
      aRequest({ requestId: 'open-later', status: 'scheduled', deadline: '2026-12-20T00:00:00Z' }),
      aRequest({ requestId: 'late-recent', status: 'scheduled', deadline: '2026-11-20T00:00:00Z' }),
      aRequest({
        requestId: 'settled-new',
        status: 'no-records',
        receivedAt: '2026-11-20T00:00:00Z',
      }),
      aRequest({ requestId: 'open-sooner', status: 'received', deadline: '2026-12-02T00:00:00Z' }),
      aRequest({ requestId: 'late-oldest', status: 'failed', deadline: '2026-01-01T00:00:00Z' }),
      aRequest({
        requestId: 'late-needs-retrain',
        status: 'needs-retrain',
        deadline: '2026-06-01T00:00:00Z',
      }),
    ];
    const ordered = orderRequests(rows, NOW);
    expect(ordered.map((r) => r.requestId)).toEqual([
      'late-oldest',
      'late-needs-retrain',
      'late-recent',
      'open-sooner',
      'open-later',
      'settled-new',
      'settled-old',
    ]);
    expect(ordered.map((r) => r.overdue)).toEqual([true, true, true, false, false, false, false]);
  });

  it('a settled request is never overdue, even long past its deadline', () => {
    for (const status of SETTLED_REQUEST_STATUSES) {
      const [row] = orderRequests([aRequest({ status, deadline: '2020-01-01T00:00:00Z' })], NOW);
      expect(row?.overdue).toBe(false);
    }
  });

  it('uses the same settled statuses as the request view (the SQL counts use this list)', () => {
    for (const status of REQUEST_STATUSES) {
      expect(isOverdue(status, '2020-01-01T00:00:00Z', NOW)).toBe(
        !SETTLED_REQUEST_STATUSES.includes(status),
      );
    }
  });

  it('cuts the table to the row limit after ordering, and says how many it leaves out', () => {
    const rows = Array.from({ length: 6 }, (_, i) =>
      aRequest({ requestId: `r${i}`, deadline: `2026-0${i + 1}-01T00:00:00Z` }),
    );
    const s = summarize(
      aSummaryInput({
        requestRows: [...rows].reverse(),
        maxRequestRows: 3,
        requestTotals: { byStatus: { scheduled: 10 }, overdue: 6 },
      }),
    );
    expect(s.requests.rows.map((r) => r.requestId)).toEqual(['r0', 'r1', 'r2']);
    expect(s.requests.omitted).toBe(7);
  });
});

describe('compliance summary: per model', () => {
  const certificates = [
    aCertificate({
      modelId: 'a',
      issuedAt: '2026-10-01T00:00:00Z',
      sequenceIndex: 1,
      epsilon: 0.5,
      delta: 1e-6,
      sigma: 0.4,
      cumulativeEpsilon: 0.5,
      cumulativeDelta: 1e-6,
    }),
    aCertificate({
      modelId: 'a',
      issuedAt: '2026-11-05T00:00:00Z',
      sequenceIndex: 2,
      epsilon: 1,
      delta: 1e-5,
      sigma: 0.2,
      cumulativeEpsilon: 1.4,
      cumulativeDelta: 1.1e-5,
    }),
    aCertificate({
      modelId: 'a',
      issuedAt: '2026-11-06T00:00:00Z',
      sequenceIndex: 3,
      method: 'retrain',
      guaranteeType: 'exact',
      epsilon: 0,
      delta: 0,
      sigma: null,
      cumulativeEpsilon: 0,
      cumulativeDelta: 0,
    }),
    aCertificate({
      modelId: 'a',
      issuedAt: '2026-12-05T00:00:00Z',
      sequenceIndex: 4,
      epsilon: 2,
      cumulativeEpsilon: 2,
    }),
    aCertificate({
      modelId: 'b',
      issuedAt: '2026-11-07T00:00:00Z',
      sequenceIndex: 1,
      method: 'convex-newton',
      guaranteeType: 'none',
      epsilon: null,
      delta: null,
      sigma: 0.9,
      cumulativeEpsilon: null,
      cumulativeDelta: null,
    }),
    aCertificate({
      modelId: null,
      issuedAt: '2026-11-08T00:00:00Z',
      method: 'no-op',
      guaranteeType: 'exact',
      epsilon: 0,
      delta: 0,
      sigma: null,
      versionBefore: null,
      versionAfter: null,
    }),
  ];
  const input = aSummaryInput({
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2026-12-01T00:00:00Z'),
    certificates,
    models: [
      { modelId: 'a', name: 'Model A', currentVersion: 4 },
      { modelId: 'c', name: 'Model C', currentVersion: 1 },
    ],
    modelRequestCounts: [
      { modelId: 'a', status: 'certified', count: 2, overdue: 0 },
      { modelId: 'a', status: 'scheduled', count: 3, overdue: 2 },
    ],
    requestTotals: { byStatus: { certified: 2, scheduled: 3, 'no-records': 1 }, overdue: 2 },
  });
  const s = summarize(input);
  const model = (id: string) => s.models.find((m) => m.modelId === id)!;

  it('lists every registered model and every model a certificate names, by id', () => {
    expect(s.models.map((m) => m.modelId)).toEqual(['a', 'b', 'c']);
    expect(model('b').name).toBeNull();
    expect(s.totals).toMatchObject({ requests: 6, overdue: 2, models: 3 });
  });

  it("counts the range's certificates, method mix and guarantees; ε/δ over certified releases only", () => {
    // Inside [Nov 1, Dec 1): a#2, a#3, b#1 and the model-less no-op.
    expect(s.totals.certificates).toBe(4);
    expect(model('a').certificates).toEqual({
      total: 2,
      byMethod: { 'newton-lissa': 1, retrain: 1 },
      byGuarantee: { certified: 1, exact: 1 },
    });
    expect(model('a').privacy).toEqual({
      epsilon: { min: 1, max: 1 },
      delta: { min: 1e-5, max: 1e-5 },
      sigma: { min: 0.2, max: 0.2 },
    });
    expect(model('b').privacy).toEqual({
      epsilon: null,
      delta: null,
      sigma: { min: 0.9, max: 0.9 },
    });
    expect(model('a').requests).toEqual({
      total: 5,
      overdue: 2,
      byStatus: { certified: 2, scheduled: 3 },
    });
  });

  it("plots the range's certificates and spends the budget as the chain stood at the end of the range", () => {
    expect(model('a').cumulativeEpsilon.map((p) => p.epsilon)).toEqual([1.4, 0]);
    // The December certificate is after `to`: the retrain (index 3) is the latest.
    expect(model('a').budget).toEqual({
      spentEpsilon: 0,
      spentDelta: 0,
      poisoned: false,
      asOf: '2026-11-06T00:00:00Z',
      sequenceIndex: 3,
      limit: null,
    });
    expect(model('b').budget).toMatchObject({ spentEpsilon: null, poisoned: true });
    expect(model('c').budget).toMatchObject({ spentEpsilon: 0, poisoned: false, asOf: null });
  });

  it("shows the policy's cumulative budget as the limit where the model's policy sets one", () => {
    const withLimit = summarize({
      ...input,
      models: input.models.map((m) =>
        m.modelId === 'a' ? { ...m, budgetLimit: { epsilon: 8, delta: 1e-4 } } : m,
      ),
    });
    const of = (id: string) => withLimit.models.find((m) => m.modelId === id)?.budget;
    expect(of('a')).toMatchObject({ spentEpsilon: 0, limit: { epsilon: 8, delta: 1e-4 } });
    expect(of('b')?.limit).toBeNull();
  });

  it('without a range, every certificate counts and the latest sets the budget', () => {
    const all = summarize({ ...input, from: null, to: null });
    expect(all.totals.certificates).toBe(6);
    expect(all.models.find((m) => m.modelId === 'a')?.budget.spentEpsilon).toBe(2);
  });
});

describe('compliance summary: accuracy per version', () => {
  it("prefers the version's own metric, then the certificate that released it, then one that started from it", () => {
    const points = accuracyByVersion(
      [
        aVersion({ version: 1, accuracy: { value: 0.93, metric: 'metrics:trainAccuracy' } }),
        aVersion({ version: 2 }),
        aVersion({ version: 3 }),
      ],
      [
        aCertificate({
          versionBefore: 1,
          versionAfter: 2,
          accuracyBefore: { value: 0.5, metric: 'certificate:evidence.accuracy.before' },
          accuracyAfter: { value: 0.91, metric: 'certificate:evidence.accuracy.after' },
        }),
        aCertificate({
          issuedAt: '2026-11-11T00:00:00Z',
          sequenceIndex: 2,
          versionBefore: 3,
          versionAfter: 4,
          accuracyBefore: { value: 0.9, metric: 'certificate:evidence.accuracy.before' },
          accuracyAfter: null,
        }),
      ],
    );
    expect(points).toEqual([
      { version: 1, accuracy: 0.93, metric: 'metrics:trainAccuracy' },
      { version: 2, accuracy: 0.91, metric: 'certificate:evidence.accuracy.after' },
      { version: 3, accuracy: 0.9, metric: 'certificate:evidence.accuracy.before' },
    ]);
  });
});
