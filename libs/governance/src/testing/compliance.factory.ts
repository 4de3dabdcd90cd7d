import type {
  CertificateFacts,
  RequestFacts,
  SummaryInput,
  VersionFacts,
} from '../application/queries/get-compliance-summary/compliance-summary';

/** Test factories for the compliance summary's facts, with overrides. Not for production code. */
let n = 0;
const next = (): number => ++n;

export const aRequest = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  requestId: `req-${next()}`,
  status: 'scheduled',
  source: 'urn:lethe:app:crm',
  receivedAt: '2026-11-01T00:00:00.000Z',
  deadline: '2026-12-01T00:00:00.000Z',
  completedAt: null,
  modelIds: ['credit-lr'],
  ...over,
});

export const aCertificate = (over: Partial<CertificateFacts> = {}): CertificateFacts => ({
  certificateId: `cert-${next()}`,
  issuedAt: '2026-11-10T12:00:00.000Z',
  method: 'newton-lissa',
  guaranteeType: 'certified',
  epsilon: 1,
  delta: 1e-5,
  sigma: 0.2,
  modelId: 'credit-lr',
  versionBefore: 1,
  versionAfter: 2,
  sequenceIndex: 1,
  cumulativeEpsilon: 1,
  cumulativeDelta: 1e-5,
  accuracyBefore: null,
  accuracyAfter: null,
  ...over,
});

export const aVersion = (over: Partial<VersionFacts> = {}): VersionFacts => ({
  modelId: 'credit-lr',
  version: 1,
  origin: 'training',
  registeredAt: '2026-11-01T00:00:00.000Z',
  accuracy: null,
  ...over,
});

export const aSummaryInput = (over: Partial<SummaryInput> = {}): SummaryInput => ({
  now: new Date('2026-11-29T12:00:00Z'),
  from: null,
  to: null,
  requestTotals: { byStatus: {}, overdue: 0 },
  modelRequestCounts: [],
  requestRows: [],
  maxRequestRows: 200,
  certificates: [],
  versions: [],
  models: [],
  ...over,
});
